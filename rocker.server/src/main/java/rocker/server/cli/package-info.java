/** The {@code rocker} command line, as plain Java: {@link rocker.server.cli.RockerCli} maps arguments to an exit code. */
package rocker.server.cli;
