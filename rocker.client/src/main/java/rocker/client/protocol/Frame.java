package rocker.client.protocol;

import java.nio.ByteBuffer;
import org.osgi.annotation.versioning.ProviderType;

/**
 * One protocol frame: a type byte and its body.
 *
 * @param type the frame type, see {@link Protocol}
 * @param body the body, positioned at its first byte
 */
@ProviderType
public record Frame(byte type, ByteBuffer body) {
}
