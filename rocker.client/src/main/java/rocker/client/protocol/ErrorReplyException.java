package rocker.client.protocol;

import org.osgi.annotation.versioning.ProviderType;
import rocker.api.RockerResult;

/** The server answered with a RESULT (an error) where another frame was expected. */
@ProviderType
public final class ErrorReplyException extends ProtocolException {
    private static final long serialVersionUID = 1L;
    private final transient RockerResult result;

    public ErrorReplyException(RockerResult result) {
        super(result.error().seedName() + ": " + result.message());
        this.result = result;
    }

    public RockerResult result() {
        return result;
    }
}
