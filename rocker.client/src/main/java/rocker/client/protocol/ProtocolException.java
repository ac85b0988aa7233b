package rocker.client.protocol;

import java.io.IOException;
import org.osgi.annotation.versioning.ProviderType;

/** Bytes that do not follow the Rocker wire protocol: a bad frame, field or value. */
@ProviderType
public class ProtocolException extends IOException {
    private static final long serialVersionUID = 1L;

    public ProtocolException(String message) {
        super(message);
    }
}
