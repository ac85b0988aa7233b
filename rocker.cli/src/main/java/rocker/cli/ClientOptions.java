package rocker.cli;

import java.util.List;
import java.util.Optional;

/**
 * The command line of the commands that ask a Rocker one thing ({@code ls}, {@code stats}, {@code kill}):
 * {@code --socket PATH | --local}, {@code --json} where the command has it, {@code --help}, and at most
 * one operand ({@code --} is skipped).
 *
 * @param target which Rocker to ask
 * @param json whether {@code --json} was given
 * @param operand the operand, or null for a command that takes none
 */
record ClientOptions(Target target, boolean json, String operand) {
    /**
     * Parses a command's arguments (without the command).
     *
     * @param jsonOption whether the command has {@code --json}
     * @param operand what the command's one operand is called in messages ({@code "NAME"}), or null when
     *            it takes none; then it is required
     * @return empty when {@code --help} was asked for
     */
    static Optional<ClientOptions> parse(List<String> args, boolean jsonOption, String operand) throws UsageException {
        Target[] target = {Target.initial()};
        boolean json = false;
        String value = null;
        ArgCursor c = new ArgCursor(args);
        while (c.hasNext()) {
            String o = c.option();
            if (o == null) {
                String a = c.next();
                if (operand == null) {
                    throw new UsageException("unexpected argument '" + a + "'");
                }
                if ("--".equals(a)) {
                    continue;
                }
                if (value != null) {
                    throw new UsageException("expected one " + operand + ", got '" + value + "' and '" + a + "'");
                }
                value = a;
            } else if (Target.accept(o, c, target)) {
                continue;
            } else if (jsonOption && "--json".equals(o)) {
                c.flag();
                json = true;
            } else if ("--help".equals(o) || "-h".equals(o)) {
                return Optional.empty();
            } else {
                throw c.unknown();
            }
        }
        if (operand != null && (value == null || value.isEmpty())) {
            throw new UsageException("missing " + operand);
        }
        return Optional.of(new ClientOptions(target[0].checked(true), json, value));
    }
}
