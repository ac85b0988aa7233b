/**
 * The {@code rocker} command line, as plain Java: {@link rocker.cli.RockerCli} maps arguments to an exit
 * code. {@link rocker.cli.Main} runs it without a framework for the client commands (what {@code ./rocker}
 * does unless {@code serve} or {@code --local}); it needs only rocker.api, rocker.client and the JDK.
 */
package rocker.cli;
