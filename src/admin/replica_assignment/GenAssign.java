import java.util.*;
import org.apache.kafka.admin.AdminUtils;
import org.apache.kafka.admin.BrokerMetadata;

// Prints Kafka 3.9.1 AdminUtils.assignReplicasToBrokers results for pseudo-random configurations.
// Line format: brokers|nPartitions|rf|fixedStartIndex|startPartitionId|result
//   brokers = id[:rack],... in the order passed; result = p=r.r.r;... or !ExceptionName
public class GenAssign {
  public static void main(String[] a) {
    Random rnd = new Random(20261126L);
    String[] rackNames = {"a", "b", "c", "rack-1", "rack-2", "Z"};
    for (int c = 0; c < 240; c++) {
      int nb = 1 + rnd.nextInt(9);
      boolean racks = c % 2 == 1;
      int nracks = 1 + rnd.nextInt(Math.min(4, nb));
      List<Integer> ids = new ArrayList<>();
      int id = rnd.nextInt(3);
      for (int i = 0; i < nb; i++) { ids.add(id); id += 1 + rnd.nextInt(3); }
      if (c % 3 == 0) Collections.shuffle(ids, rnd);
      List<BrokerMetadata> bms = new ArrayList<>();
      StringBuilder bs = new StringBuilder();
      for (int i = 0; i < nb; i++) {
        String rack = racks ? rackNames[rnd.nextInt(nracks)] : null;
        bms.add(new BrokerMetadata(ids.get(i), Optional.ofNullable(rack)));
        if (i > 0) bs.append(',');
        bs.append(ids.get(i));
        if (rack != null) bs.append(':').append(rack);
      }
      int np = 1 + rnd.nextInt(25);
      int rf = 1 + rnd.nextInt(Math.min(nb, 5));
      int start = rnd.nextInt(nb + 2);
      int startPart = c % 4 == 0 ? rnd.nextInt(12) : 0;
      String res;
      try {
        Map<Integer, List<Integer>> m = new TreeMap<>(AdminUtils.assignReplicasToBrokers(bms, np, rf, start, startPart));
        StringBuilder rs = new StringBuilder();
        for (Map.Entry<Integer, List<Integer>> e : m.entrySet()) {
          if (rs.length() > 0) rs.append(';');
          rs.append(e.getKey()).append('=');
          for (int j = 0; j < e.getValue().size(); j++) { if (j > 0) rs.append('.'); rs.append(e.getValue().get(j)); }
        }
        res = rs.toString();
      } catch (Exception e) { res = "!" + e.getClass().getSimpleName(); }
      System.out.println(bs + "|" + np + "|" + rf + "|" + start + "|" + startPart + "|" + res);
    }
  }
}
