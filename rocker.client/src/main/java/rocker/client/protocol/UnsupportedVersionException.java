package rocker.client.protocol;

import org.osgi.annotation.versioning.ProviderType;

/** A request of a protocol version this side does not speak. */
@ProviderType
public final class UnsupportedVersionException extends ProtocolException {
    private static final long serialVersionUID = 1L;

    public UnsupportedVersionException(int version) {
        super("protocol version " + version + " is not supported (this side speaks " + Protocol.V1 + " and "
                + Protocol.V2 + ")");
    }
}
