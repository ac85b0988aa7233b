package rocker.impl.linux;

/**
 * One step of a rocker's mount plan, applied in the rocker's mount namespace by the
 * {@link MountInterpreter}, in the order of the {@link MountPlan}.
 */
interface MountOp {
    /** What this step does, for error messages: "mount overlay on /usr". */
    String describe();

    /** Does it; throws {@link rocker.impl.linux.sys.SysException} when the kernel says no. */
    void apply();

    /** A step made of a description and an action. */
    static MountOp of(String description, Runnable action) {
        return new MountOp() {
            @Override
            public String describe() {
                return description;
            }

            @Override
            public void apply() {
                action.run();
            }
        };
    }
}
