package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.fail;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.Test;

/** The strict JSON parser of seccomp profiles: what it reads and, with the place, what it refuses. */
public class JsonTest {
    @Test
    public void values() {
        assertEquals(Map.of("a", List.of(1L, -2L, "x", true, false), "b", Map.of()),
                Json.parse(" {\"a\": [1, -2, \"x\", true, false], \"b\": {}}\n"));
        assertNull(Json.parse("null"));
        assertEquals(List.of(), Json.parse("[ ]"));
        assertEquals(0L, Json.parse("0"));
        assertEquals(new BigDecimal("1.5e3"), Json.parse("1.5e3"));
        assertEquals(new BigDecimal("-0.25"), Json.parse("-0.25"));
        assertEquals(new BigDecimal("123456789012345678901234567890"), Json.parse("123456789012345678901234567890"));
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
    }

    @Test
    public void keyOrderIsKept() {
        Map<?, ?> m = (Map<?, ?>) Json.parse("{\"z\": 1, \"a\": 2, \"m\": 3}");
        assertEquals(List.of("z", "a", "m"), List.copyOf(m.keySet()));
    }

    @Test
    public void strings() {
        assertEquals("a\"b\\c/d\b\f\n\r\t", Json.parse("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\""));
        assertEquals("\u00e9\u20ac", Json.parse("\"\\u00e9\\u20AC\""));
        assertEquals("\uD83D\uDE00", Json.parse("\"\\ud83d\\ude00\""));
        assertEquals("\uD83D\uDE00 \u00e9", Json.parse("\"\uD83D\uDE00 \u00e9\""));
    }

    private static void refused(String text, String message) {
        try {
            Json.parse(text);
            fail("parsed: " + text);
        } catch (Json.SyntaxError e) {
            assertEquals(text, message, e.getMessage());
        }
    }

    @Test
    public void syntaxErrorsSayWhere() {
        refused("", "line 1, column 1: unexpected end of text, expected a value");
        refused("{\"a\": 1,}", "line 1, column 9: unexpected '}', expected a key in quotes");
        refused("[1, 2,]", "line 1, column 7: unexpected ']', expected a value");
        refused("{\"a\": 1}\n x", "line 2, column 2: unexpected 'x' after the value");
        refused("{\"a\": 1, \"a\": 2}", "line 1, column 10: duplicate key 'a'");
        refused("// no\n{}", "line 1, column 1: unexpected '/', expected a value");
        refused("{\"a\" 1}", "line 1, column 6: unexpected '1', expected ':'");
        refused("{\"a\": tru}", "line 1, column 7: unexpected 't', expected a value");
        refused("\"tab\there\"", "line 1, column 5: control character U+0009 in a string");
        refused("\"open", "line 1, column 6: unexpected end of text in a string");
        refused("\"\\x\"", "line 1, column 2: bad escape '\\x' in a string");
        refused("\"\\u12g4\"", "line 1, column 4: bad \\u escape");
        refused("\"\\ud83d\"", "line 1, column 8: lone surrogate in a string");
        refused("\"\\ude00\"", "line 1, column 8: lone surrogate in a string");
        refused("01", "line 1, column 2: unexpected '1' after the value");
        refused("-", "line 1, column 2: bad number");
        refused("1.", "line 1, column 3: bad number: digits expected after '.'");
        refused("1e+", "line 1, column 4: bad number: digits expected in the exponent");
        refused("+1", "line 1, column 1: unexpected '+', expected a value");
        refused("NaN", "line 1, column 1: unexpected 'N', expected a value");
        refused("[1 2]", "line 1, column 4: unexpected '2', expected ']'");
        refused("{'a': 1}", "line 1, column 2: unexpected ''', expected a key in quotes");
        refused("\u00a0{}", "line 1, column 1: unexpected '\u00a0', expected a value");
    }

    @Test
    public void nestingIsBounded() {
        char[] open = new char[Json.MAX_DEPTH];
        char[] close = new char[Json.MAX_DEPTH];
        Arrays.fill(open, '[');
        Arrays.fill(close, ']');
        Json.parse(new String(open) + new String(close));
        refused("[" + new String(open) + new String(close) + "]", "line 1, column " + (Json.MAX_DEPTH + 1)
                + ": nested deeper than " + Json.MAX_DEPTH);
    }
}
