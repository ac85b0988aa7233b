package rocker.impl.linux;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the Linux engine (PID {@code rocker.engine}). */
@ObjectClassDefinition(name = "Rocker engine",
        description = "The local Linux engine that builds rockers (needs root).")
@interface EngineConfig {
    @AttributeDefinition(name = "State dir", description = "Where the registry of live rockers and the extracted guard live (hidden inside every rocker).")
    String stateDir() default "/run/rocker";

    @AttributeDefinition(name = "Guard executable", description = "Path of rocker-guard; empty: the one of this platform's native fragment.")
    String guardPath() default "";

    @AttributeDefinition(name = "Hidden paths", description = "Dirs hidden (an empty read-only tmpfs) inside every rocker, besides the state dir:"
            + " the server's socket dir when it is not the default. Absolute; \"/\" and top-level dirs (/tmp, /run) are refused with a warning.")
    String[] hiddenPaths() default {"/run/rocker"};

    @AttributeDefinition(name = "Spare guards", description = "Guards started ahead of need (host network, no --rm), so that a start does not wait for one; 0: none.")
    int spareGuards() default 2;

    @AttributeDefinition(name = "One shot", description = "An engine for one command (the launcher's --local commands set it, with"
            + " spareGuards 0): it does not look at the image holders every 30 s, which a serving engine does to find a holder whose last"
            + " rocker ended unseen by it; its image grace is not the serving engine's.")
    boolean oneShot() default false;

    @AttributeDefinition(name = "Cgroup parent", description = "Each rocker's cgroup is PARENT/NAME in every cgroup hierarchy"
            + " (v1 controllers' and v2's): a relative path of plain names. An engine that stops removes it where it is empty (another engine makes it again).")
    String cgroupParent() default "rocker";

    @AttributeDefinition(name = "Image grace (s)", description = "How long an image's shared mount is kept once no rocker uses it,"
            + " so that a restarted app finds it warm; 0: released with its last rocker.")
    int imageGraceSeconds() default 60;

    @AttributeDefinition(name = "Image copy limit (MiB)", description = "An image that someone besides root can change (not owned by"
            + " root, writable by its group or others, open for writing, on a file system such as FUSE or NFS, or on a file system"
            + " on a loop device) is copied into a file with no name in the image copy dir before a loop device reads it; a larger"
            + " one is refused (0: every such image is). Install images owned by root and writable by root only, on a local file"
            + " system, to have none copied.")
    int imageCopyMaxMiB() default 1024;

    @AttributeDefinition(name = "Image copy dir", description = "Where such images are copied, to files with no name: a user's copy"
            + " is the user's (its blocks count against the user's quota, and it cannot use root's reserved blocks). A dir owned by"
            + " root; made (0700) when missing.")
    String imageCopyDir() default "/var/tmp";

    @AttributeDefinition(name = "Destroy timeout (ms)", description = "How long destroy waits for a rocker to be gone.")
    int destroyTimeoutMillis() default 10_000;
}
