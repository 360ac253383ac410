package dev.carryon.launcher.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.carryon.carrier.storage.CarrierStorage;
import dev.carryon.carrier.storage.FolderStorage;
import dev.carryon.launcher.host.HostHome;
import dev.carryon.launcher.phone.Adb;
import dev.carryon.launcher.phone.CarrierPush;
import dev.carryon.launcher.phone.Pairings;
import dev.carryon.launcher.phone.PhoneLink;
import dev.carryon.launcher.phone.PhoneName;
import dev.carryon.launcher.phone.PhoneStorage;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code carryon phone}: the phones adb reaches, pairing with their companion app, pushing carriers onto them. */
@Command(
    name = "phone",
    mixinStandardHelpOptions = true,
    description = {
      "Phones that carry sessions: the carryon companion app serves them over adb.",
      "A carrier on a phone is adb://SERIAL/NAME, or adb:NAME when one phone is connected;",
      "phone push copies a folder carrier onto the phone."
    },
    subcommands = {PhoneCommand.ListPhones.class, PhoneCommand.Pair.class, PhoneCommand.Push.class})
final class PhoneCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "say list, pair or push");
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

  @Command(
      name = "push",
      mixinStandardHelpOptions = true,
      description = {
        "Copy a folder carrier onto the phone, as adb://SERIAL/NAME: every file checked by the",
        "phone's own hash, the manifest last. A push that was cut is finished by running it again",
        "(what arrived whole is kept, a file cut short continues). The carrier must be free (no",
        "session); the folder is left as it is: use one copy or the other from then on."
      })
  static final class Push implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @CommandLine.Parameters(index = "0", paramLabel = "CARRIER", description = "The folder carrier to copy.")
    Path folder;

    @Option(names = "--as", paramLabel = "NAME", description = "Its name on the phone (default: the folder's name).")
    String name;

    @Option(names = "--serial", paramLabel = "SERIAL", description = "The phone (default: the one connected).")
    String serial;

    @Override
    public Integer call() throws Exception {
      if (!Files.isDirectory(folder)) {
        throw new CarryonException(ExitCodes.BAD_INPUT, folder + ": no such folder");
      }
      String carrierName = name != null ? name : String.valueOf(folder.toAbsolutePath().normalize().getFileName());
      String target =
          PhoneName.SCHEME + (serial != null ? "//" + Adb.checkSerial(serial) + "/" : "") + carrierName;
      PrintWriter out = spec.commandLine().getOut();
      ProgressBar bar = ProgressBar.on(spec.commandLine().getErr(), "pushing");
      CarrierPush.Pushed p;
      String shown;
      try (CarrierStorage from = FolderStorage.of(folder);
          CarrierStorage to = PhoneStorage.open(target)) {
        shown = to.location();
        p = CarrierPush.push(from, to, bar::update);
      } finally {
        bar.finish();
      }
      out.println(
          p.already()
              ? folder + " is already on the phone as " + shown + "; nothing to do"
              : "pushed " + folder + " to " + shown + ": " + p.files() + " files, "
                  + String.format("%,d", p.bytesSent()) + " bytes sent"
                  + (p.bytesKept() > 0 ? String.format(", %,d bytes already there", p.bytesKept()) : "")
                  + "; resume it with: carryon resume " + shown);
      out.flush();
      return ExitCodes.OK;
    }
  }
}
