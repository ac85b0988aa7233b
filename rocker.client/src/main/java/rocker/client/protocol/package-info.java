/**
 * The Rocker wire protocol (docs/protocol.md), versions 1 and 2: frames, their codecs and
 * deadline-bounded socket I/O, shared by both ends: exported for {@code rocker.server}, which decodes
 * calls and encodes replies with it. {@link rocker.client.protocol.CallCodec} and
 * {@link rocker.client.protocol.ReplyCodec} choose the layout by version; version 2's tagged field
 * lists are written by {@code FieldWriter} and read by {@code FieldReader}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package rocker.client.protocol;
