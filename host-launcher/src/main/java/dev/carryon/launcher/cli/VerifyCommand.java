package dev.carryon.launcher.cli;

import dev.carryon.carrier.Carrier;
import dev.carryon.carrier.FileProblem;
import dev.carryon.carrier.Verification;
import dev.carryon.carrier.storage.CarrierStorage;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code carryon verify}: every checksum and every image of a carrier, read-only. */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description = {
      "Check every file and disk image of a carrier.",
      "Sizes and SHA-256 against the manifest, each image's structure and backing links.",
      "Exits 0 when all is well, 4 when anything is wrong."
    })
final class VerifyCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin CarrierArg carrier;

  @Mixin PassphraseOption passphrase;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    ProgressBar bar = ProgressBar.on(spec.commandLine().getErr(), "verifying");
    Verification v;
    try (CarrierStorage storage = carrier.open();
        Carrier c = Carrier.open(storage)) {
      v = c.verify(bar::update);
      bar.finish();
      for (FileProblem p : v.warnings()) {
        out.println("warning: " + p);
      }
      for (FileProblem p : v.problems()) {
        out.println("problem: " + p);
      }
      out.printf(
          "%s: %s (generation %d, %d file(s) checked)%n",
          carrier,
          v.passed() ? "ok" : v.problems().size() + " problem(s)",
          c.manifest().currentGeneration(),
          c.manifest().files().size());
    }
    out.flush();
    return v.passed() ? ExitCodes.OK : ExitCodes.REFUSED;
  }
}
