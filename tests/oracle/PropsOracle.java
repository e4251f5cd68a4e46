// Test oracle: how Java (and so Kafka's tools) read a client.properties file and a JAAS config.
// Usage: java -cp 'KAFKA_LIBS/*' PropsOracle.java props|jaas FILE...
// Per FILE: a line "== FILE", then one "key<TAB>value" line per entry (every char outside
// printable ASCII, and the backslash, as \\uXXXX), or "ERROR<TAB>message" when Java refuses it.
import java.io.FileInputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

public class PropsOracle {
    static String esc(Object o) {
        String s = String.valueOf(o);
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c < 0x20 || c > 0x7e || c == '\\') b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.toString();
    }

    public static void main(String[] args) throws Exception {
        for (int i = 1; i < args.length; i++) {
            System.out.println("== " + args[i]);
            one(args[0], args[i]);
        }
    }

    static void one(String mode, String file) throws Exception {
        Map<String, Object> out = new TreeMap<>();
        try {
            if (mode.equals("props")) {
                Properties p = new Properties();
                try (var r = new InputStreamReader(new FileInputStream(file), StandardCharsets.UTF_8)) {
                    p.load(r);
                }
                for (String k : p.stringPropertyNames()) out.put(k, p.getProperty(k));
            } else {
                String text = Files.readString(Path.of(file), StandardCharsets.UTF_8);
                var pw = new org.apache.kafka.common.config.types.Password(text);
                var ctx = org.apache.kafka.common.security.JaasContext.loadClientContext(
                        Map.of("sasl.jaas.config", pw));
                for (var e : ctx.configurationEntries().get(0).getOptions().entrySet())
                    out.put(e.getKey(), e.getValue());
            }
        } catch (Exception e) {
            System.out.println("ERROR\t" + esc(e.getMessage()));
            return;
        }
        for (var e : out.entrySet()) System.out.println(esc(e.getKey()) + "\t" + esc(e.getValue()));
    }
}
