package rocker.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import rocker.api.RockerStats;

/** {@code rocker stats NAME}: what a rocker uses now, from its cgroup. */
final class StatsCommand {
    /** Exit status when there is no such rocker, or nothing can tell its figures. */
    static final int NOT_FOUND = 1;
    static final String USAGE = String.join("\n",
            "Usage: rocker stats [--socket PATH | --local] [--json] NAME",
            "",
            "Prints what the rocker whose guard has this name uses now: memory (and its peak), processes",
            "and threads, CPU time, and how many of its processes the kernel's OOM killer ended.",
            "A figure the kernel does not give is shown as '-'.",
            "",
            Target.USAGE,
            "  --json            one JSON object: guard_name, memory, memory_peak (bytes), pids, cpu_ns,",
            "                    oom_kills (-1 when unknown)",
            "  --help            this text",
            "",
            "Exit status: 0, 1 when there is no such rocker (or the server cannot tell), 125 when Rocker",
            "fails.");

    private final CliEnvironment env;

    StatsCommand(CliEnvironment env) {
        this.env = env;
    }

    int run(List<String> args) throws UsageException {
        Optional<ClientOptions> o = ClientOptions.parse(args, true, "NAME");
        if (o.isEmpty()) {
            env.out().println(USAGE);
            return 0;
        }
        String name = o.get().operand();
        return o.get().target().call(env, client -> print(name, client.stats(name), o.get().json()));
    }

    private int print(String name, Optional<RockerStats> stats, boolean json) {
        if (stats.isEmpty()) {
            env.err().println("rocker: no figures for " + name + ": no such rocker, or the server cannot tell");
            return NOT_FOUND;
        }
        RockerStats s = stats.get();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("guard_name", name);
            m.putAll(Figures.object(s));
            env.out().println(Json.write(m));
        } else {
            env.out().println(name);
            env.out().println("  memory     " + Figures.bytes(s.memoryBytes()) + " (peak " + Figures.bytes(s.memoryPeakBytes()) + ")");
            env.out().println("  pids       " + Figures.count(s.pids()));
            env.out().println("  cpu time   " + Figures.seconds(s.cpuNanos()));
            env.out().println("  oom kills  " + Figures.count(s.oomKills()));
        }
        return 0;
    }
}
