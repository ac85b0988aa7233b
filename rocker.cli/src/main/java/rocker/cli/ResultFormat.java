package rocker.cli;

import java.util.LinkedHashMap;
import java.util.Map;

import rocker.api.RockerException;
import rocker.api.RockerResult;

/** How results and failures are printed. */
final class ResultFormat {
    private ResultFormat() {
    }

    /** The JSON object of a result: err_no, err, message, app_pid, guard_pid, guard_name. */
    static String json(RockerResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("err_no", r.error().code());
        m.put("err", r.error().seedName());
        m.put("message", r.message());
        m.put("app_pid", r.appPid());
        m.put("guard_pid", r.guardPid());
        m.put("guard_name", r.guardName());
        return Json.write(m);
    }

    /** One line for people and shell scripts. */
    static String text(RockerResult r) {
        return "guard_name=" + r.guardName() + " guard_pid=" + r.guardPid() + " app_pid=" + r.appPid();
    }

    /** {@code rocker: <err>: <message>}. */
    static String failure(RockerResult r) {
        return "rocker: " + r.error().seedName() + ": " + r.message();
    }

    static String failure(RockerException e) {
        return "rocker: " + e.error().seedName() + ": " + e.getMessage();
    }
}
