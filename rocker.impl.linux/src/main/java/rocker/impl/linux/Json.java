package rocker.impl.linux;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON parser (RFC 8259) for seccomp profiles: objects become {@link Map}s in key
 * order, arrays {@link List}s, strings {@link String}s, integers {@link Long}s (other numbers
 * {@link BigDecimal}s), {@code true}/{@code false} {@link Boolean}s and {@code null} null. Refused:
 * trailing commas, comments, duplicate keys, control characters in strings, lone surrogates, anything
 * after the value, and nesting deeper than {@value #MAX_DEPTH}. Errors say where (line and column).
 */
final class Json {
    static final int MAX_DEPTH = 64;

    /** Not JSON; the message says where and why. */
    static final class SyntaxError extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        SyntaxError(String message) {
            super(message);
        }
    }

    private final String text;
    private int pos;
    private int depth;

    private Json(String text) {
        this.text = text;
    }

    /** The value {@code text} holds. */
    static Object parse(String text) {
        Json p = new Json(text);
        p.space();
        Object v = p.value();
        p.space();
        if (p.pos < text.length()) throw p.error("unexpected " + p.what() + " after the value");
        return v;
    }

    private Object value() {
        if (pos >= text.length()) throw error("unexpected end of text, expected a value");
        char c = text.charAt(pos);
        switch (c) {
            case '{': return object();
            case '[': return array();
            case '"': return string();
            case 't': return word("true", Boolean.TRUE);
            case 'f': return word("false", Boolean.FALSE);
            case 'n': return word("null", null);
            default:
                if (c == '-' || (c >= '0' && c <= '9')) return number();
                throw error("unexpected " + what() + ", expected a value");
        }
    }

    private Map<String, Object> object() {
        enter();
        pos++;
        Map<String, Object> map = new LinkedHashMap<>();
        space();
        if (peek('}')) {
            pos++;
            depth--;
            return Collections.unmodifiableMap(map);
        }
        for (;;) {
            space();
            if (!peek('"')) throw error("unexpected " + what() + ", expected a key in quotes");
            int at = pos;
            String key = string();
            space();
            expect(':');
            space();
            Object v = value();
            if (map.containsKey(key)) {
                pos = at;
                throw error("duplicate key '" + key + "'");
            }
            map.put(key, v);
            space();
            if (peek(',')) {
                pos++;
                continue;
            }
            expect('}');
            depth--;
            return Collections.unmodifiableMap(map);
        }
    }

    private List<Object> array() {
        enter();
        pos++;
        List<Object> list = new ArrayList<>();
        space();
        if (peek(']')) {
            pos++;
            depth--;
            return Collections.unmodifiableList(list);
        }
        for (;;) {
            space();
            list.add(value());
            space();
            if (peek(',')) {
                pos++;
                continue;
            }
            expect(']');
            depth--;
            return Collections.unmodifiableList(list);
        }
    }

    private String string() {
        pos++;
        StringBuilder s = new StringBuilder();
        for (;;) {
            if (pos >= text.length()) throw error("unexpected end of text in a string");
            char c = text.charAt(pos);
            if (c == '"') {
                pos++;
                return s.toString();
            }
            if (c < 0x20) throw error("control character U+" + String.format("%04X", (int) c) + " in a string");
            if (Character.isSurrogate(c)) {
                if (!Character.isHighSurrogate(c) || pos + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(pos + 1))) {
                    throw error("lone surrogate in a string");
                }
                s.append(c).append(text.charAt(pos + 1));
                pos += 2;
                continue;
            }
            if (c != '\\') {
                s.append(c);
                pos++;
                continue;
            }
            if (pos + 1 >= text.length()) throw error("unexpected end of text in a string");
            char e = text.charAt(pos + 1);
            pos += 2;
            switch (e) {
                case '"': s.append('"'); break;
                case '\\': s.append('\\'); break;
                case '/': s.append('/'); break;
                case 'b': s.append('\b'); break;
                case 'f': s.append('\f'); break;
                case 'n': s.append('\n'); break;
                case 'r': s.append('\r'); break;
                case 't': s.append('\t'); break;
                case 'u': s.append(unicode()); break;
                default:
                    pos -= 2;
                    throw error("bad escape '\\" + e + "' in a string");
            }
        }
    }

    /** After "\\u": one code point, a surrogate pair written as two escapes. */
    private String unicode() {
        char c = hex4();
        if (Character.isLowSurrogate(c)) throw error("lone surrogate in a string");
        if (!Character.isHighSurrogate(c)) return String.valueOf(c);
        if (!text.startsWith("\\u", pos)) throw error("lone surrogate in a string");
        pos += 2;
        char low = hex4();
        if (!Character.isLowSurrogate(low)) throw error("lone surrogate in a string");
        return new String(new char[] {c, low});
    }

    private char hex4() {
        if (pos + 4 > text.length()) throw error("unexpected end of text in a \\u escape");
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(text.charAt(pos + i), 16);
            if (d < 0 || text.charAt(pos + i) > 'f') throw error("bad \\u escape");
            v = v * 16 + d;
        }
        pos += 4;
        return (char) v;
    }

    private Object number() {
        int start = pos;
        if (peek('-')) pos++;
        if (peek('0')) {
            pos++;
        } else if (!digits()) {
            throw error("bad number");
        }
        boolean integral = true;
        if (peek('.')) {
            pos++;
            integral = false;
            if (!digits()) throw error("bad number: digits expected after '.'");
        }
        if (peek('e') || peek('E')) {
            pos++;
            integral = false;
            if (peek('+') || peek('-')) pos++;
            if (!digits()) throw error("bad number: digits expected in the exponent");
        }
        String n = text.substring(start, pos);
        if (integral) {
            try {
                return Long.parseLong(n);
            } catch (NumberFormatException e) {
                // too large for a long
            }
        }
        try {
            return new BigDecimal(n);
        } catch (NumberFormatException e) {
            throw error("bad number: " + (n.length() > 40 ? n.substring(0, 40) + "..." : n) + " is out of range");
        }
    }

    private boolean digits() {
        int start = pos;
        while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') pos++;
        return pos > start;
    }

    private Object word(String w, Object v) {
        if (!text.startsWith(w, pos)) throw error("unexpected " + what() + ", expected a value");
        pos += w.length();
        return v;
    }

    private void enter() {
        if (++depth > MAX_DEPTH) throw error("nested deeper than " + MAX_DEPTH);
    }

    private void space() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
            pos++;
        }
    }

    private boolean peek(char c) {
        return pos < text.length() && text.charAt(pos) == c;
    }

    private void expect(char c) {
        if (!peek(c)) throw error("unexpected " + what() + ", expected '" + c + "'");
        pos++;
    }

    private String what() {
        if (pos >= text.length()) return "end of text";
        int cp = text.codePointAt(pos);
        return cp < 0x20 || cp == 0x7f ? String.format("U+%04X", cp) : "'" + new String(Character.toChars(cp)) + "'";
    }

    private SyntaxError error(String why) {
        int line = 1, column = 1;
        for (int i = 0; i < pos && i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                line++;
                column = 1;
            } else {
                column++;
            }
        }
        return new SyntaxError("line " + line + ", column " + column + ": " + why);
    }
}
