/** The Rocker wire protocol (docs/protocol.md): frames, their codecs and deadline-bounded socket I/O. */
package rocker.server.protocol;
