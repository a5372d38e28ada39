// The launcher the local backend runs JMeter through (Java's single-file source launch:
// `java -cp CLASSPATH PtsplanJMeter.java ARGS`, so nothing is compiled ahead).
//
// Debian's JMeter 2.13 cannot load any test plan on its own: Debian's XStream (1.4.20)
// denies every type unless allowed, and JMeter 2.13 predates that and allows none, so
// loading a JMX fails with `ForbiddenClassException: org.apache.jmeter.save.ScriptWrapper`.
// This opens SaveService's XStream instances to every type, then hands over to JMeter's own
// entry point with the same arguments. The JMX files it loads are the backend's own copies
// of the scene's script.
//
// It also ends JMeter when the backend goes away: the backend holds the write end of this
// process's standard input and never writes; when the backend exits, even killed, the pipe
// closes, the read below returns end-of-file, and the JVM exits.
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;

import com.thoughtworks.xstream.XStream;
import com.thoughtworks.xstream.security.AnyTypePermission;

public class PtsplanJMeter {
    public static void main(String[] args) throws Exception {
        Thread guard = new Thread(() -> {
            try {
                while (System.in.read() != -1) {
                    // The backend never writes; anything read is ignored.
                }
            } catch (IOException e) {
                // A broken pipe means the backend is gone, as end-of-file does.
            }
            System.exit(3);
        }, "ptsplan-backend-guard");
        guard.setDaemon(true);
        guard.start();
        String home = System.getProperty("jmeter.home", "/usr/share/jmeter");
        org.apache.jmeter.util.JMeterUtils.setJMeterHome(home);
        org.apache.jmeter.util.JMeterUtils.loadJMeterProperties(home + "/bin/jmeter.properties");
        Class<?> save = Class.forName("org.apache.jmeter.save.SaveService");
        for (Field field : save.getDeclaredFields()) {
            if (Modifier.isStatic(field.getModifiers())
                    && XStream.class.isAssignableFrom(field.getType())) {
                field.setAccessible(true);
                ((XStream) field.get(null)).addPermission(AnyTypePermission.ANY);
            }
        }
        org.apache.jmeter.NewDriver.main(args);
    }
}
