/** The example's service, {@link org.rocker.examples.consumer.Sandboxes}: exported, so that its users (and the test) see it. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.rocker.examples.consumer;
