/** The client side of the Rocker socket protocol: connections, error mapping and output streaming. */
package rocker.client.remote;
