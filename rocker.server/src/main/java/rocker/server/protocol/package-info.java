/**
 * The Rocker wire protocol (docs/protocol.md), versions 1 and 2: frames, their codecs and
 * deadline-bounded socket I/O. {@link rocker.server.protocol.CallCodec} and
 * {@link rocker.server.protocol.ReplyCodec} choose the layout by version; version 2's tagged field
 * lists are written by {@code FieldWriter} and read by {@code FieldReader}.
 */
package rocker.server.protocol;
