package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.StringReader;
import java.util.List;
import java.util.Properties;
import java.util.Random;

import org.junit.Test;

import rocker.api.RockerRequest;

/** A record's text is read back by {@link Properties#load} as the very properties it was made of. */
public class RecordTextTest {
    private static Properties load(String text) throws Exception {
        Properties p = new Properties();
        p.load(new StringReader(text));
        return p;
    }

    @Test
    public void aRecordReadsBackAsItsProperties() throws Exception {
        RockerRequest request = RockerRequest.builder().appId(3).uid(1000).gid(1000).groups(List.of(5, 6))
                .pkgPath("/opt/pkgs/a b=c:d#e!f\\g.img").execDir("/opt/é x").dataDir("/var/lib/d ata/\u4e2d")
                .overlayDirs(List.of("/usr", "/var")).hostname("h").build();
        RockerRecord r = RockerRecord.ahead(RockerRecord.State.BUILDING, 42, "rkabcdefghijklm", request).withImage("1:2:3");
        String text = r.toText();
        assertTrue(text, text.chars().allMatch(c -> c == '\n' || (c >= 0x20 && c <= 0x7e)));
        assertEquals(r.toProperties(), load(text));
        RockerRecord back = RockerRecord.fromProperties(load(text));
        assertEquals(r.toProperties(), back.toProperties());
    }

    @Test
    public void anyStringSurvivesTheEscapes() throws Exception {
        Random random = new Random(19);
        String special = " \t\n\r\f=:#!\\\u0000\u007f\u00e9\u4e2d\ud83d\ude00 ";
        for (int round = 0; round < 500; round++) {
            StringBuilder key = new StringBuilder("k" + round);
            StringBuilder value = new StringBuilder();
            int n = random.nextInt(12);
            for (int i = 0; i < n; i++) {
                value.append(random.nextBoolean() ? special.charAt(random.nextInt(special.length())) : (char) ('a' + random.nextInt(26)));
                if (random.nextInt(4) == 0) key.append(special.charAt(random.nextInt(special.length())));
            }
            StringBuilder text = new StringBuilder();
            RockerRecord.escape(text, key.toString(), true);
            text.append('=');
            RockerRecord.escape(text, value.toString(), false);
            text.append('\n');
            Properties p = load(text.toString());
            assertEquals(text.toString(), 1, p.size());
            assertEquals(text.toString(), value.toString(), p.getProperty(key.toString()));
        }
    }
}
