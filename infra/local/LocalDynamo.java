// LocalDynamo starts DynamoDB Local bound to one host address.
//
// DynamoDB Local's own command line has no bind-address flag: its Jetty server
// listens on every interface. This launcher builds the server exactly as the
// jar's command line does, then sets the host of its single connector before
// starting it. Usage: java -cp DynamoDBLocal.jar LocalDynamo.java HOST ARGS...
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class LocalDynamo {
    public static void main(String[] args) throws Exception {
        String host = args[0];
        String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(rest);
        Field f = DynamoDBProxyServer.class.getDeclaredField("server");
        f.setAccessible(true);
        Server jetty = (Server) f.get(proxy);
        for (var c : jetty.getConnectors()) {
            ((ServerConnector) c).setHost(host);
        }
        proxy.start();
        System.out.println("DynamoDB Local listening on " + host);
        proxy.join();
    }
}
