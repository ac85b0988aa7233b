package rocker.client.protocol;

import org.osgi.annotation.versioning.ProviderType;

/** A frame header announced more bytes than the receiver accepts; the payload was not read. */
@ProviderType
public final class FrameTooLargeException extends ProtocolException {
    private static final long serialVersionUID = 1L;

    public FrameTooLargeException(long length, int limit) {
        super("frame of " + length + " bytes exceeds the limit of " + limit + " bytes");
    }
}
