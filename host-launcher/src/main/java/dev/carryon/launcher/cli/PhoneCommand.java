package dev.carryon.launcher.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carryon.launcher.host.HostHome;
import dev.carryon.launcher.phone.Adb;
import dev.carryon.launcher.phone.Pairings;
import dev.carryon.launcher.phone.PhoneLink;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code carryon phone}: the phones adb reaches, and pairing with their companion app. */
@Command(
    name = "phone",
    mixinStandardHelpOptions = true,
    description = {
      "Phones that carry sessions: the carryon companion app serves them over adb.",
      "A carrier on a phone is adb://SERIAL/NAME, or adb:NAME when one phone is connected."
    },
    subcommands = {PhoneCommand.ListPhones.class, PhoneCommand.Pair.class})
final class PhoneCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "say list or pair");
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List the phones adb sees, whether the companion answers, and which are paired.")
  static final class ListPhones implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--json", description = "Print JSON for scripts.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      Adb adb = Adb.onPath();
      Pairings pairings = new Pairings(HostHome.locate().phones());
      ArrayNode phones = new ObjectMapper().createArrayNode();
      for (Adb.Device d : adb.devices()) {
        ObjectNode p = phones.addObject();
        p.put("serial", d.serial());
        p.put("state", d.state());
        p.put("paired", pairings.paired(d.serial()));
        if (!d.ready()) {
          p.putNull("companion");
          p.put("problem", "adb cannot use it (" + d.state() + "): allow USB debugging for this PC on the phone");
          continue;
        }
        try {
          Adb.Companion c = adb.companion(d.serial());
          p.putObject("companion").put("server", c.server()).put("serving", c.serving());
          p.putNull("problem");
        } catch (CarryonException e) {
          p.putNull("companion");
          p.put("problem", e.getMessage());
        }
      }
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        out.println(phones.toString());
      } else if (phones.isEmpty()) {
        out.println("no phone: adb devices lists none (is USB debugging on, and the cable in?)");
      } else {
        for (JsonNode p : phones) {
          String companion =
              p.get("companion").isNull()
                  ? p.get("problem").asText()
                  : p.get("companion").get("server").asText()
                      + (p.get("companion").get("serving").asBoolean() ? ", serving" : ", not serving");
          out.printf(
              "%-20s %-13s %-7s %s%n",
              p.get("serial").asText(),
              p.get("state").asText(),
              p.get("paired").asBoolean() ? "paired" : "-",
              companion);
        }
      }
      out.flush();
      return ExitCodes.OK;
    }
  }

  @Command(
      name = "pair",
      mixinStandardHelpOptions = true,
      description = {
        "Pair this PC with a phone's companion: its token, handed over adb to this PC only, is",
        "kept in CARRYON_HOME/phones (mode 0600)."
      })
  static final class Pair implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--serial", paramLabel = "SERIAL", description = "The phone (default: the one connected).")
    String serial;

    @Override
    public Integer call() throws Exception {
      Adb adb = Adb.onPath();
      String phone = serial != null ? Adb.checkSerial(serial) : PhoneLink.onlyPhone(adb);
      Adb.Companion c = adb.companion(phone);
      new Pairings(HostHome.locate().phones()).remember(phone, c.token());
      PrintWriter out = spec.commandLine().getOut();
      out.println(
          "paired with phone " + phone + " (" + c.server() + "); its carriers are adb://" + phone
              + "/NAME");
      out.flush();
      return ExitCodes.OK;
    }
  }
}
