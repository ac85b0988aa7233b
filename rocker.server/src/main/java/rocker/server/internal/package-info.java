/** The socket server: listener, connections, authorization from SO_PEERCRED, dispatch to the engine. */
package rocker.server.internal;
