package dev.carryon.launcher.cli;

import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import picocli.CommandLine.Model.ISetter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * A command whose picocli model is built in code (picocli's programmatic API), the one definition of
 * its name, help and options. Reading a command's annotations costs every start-up picocli's
 * reflection and the JDK's annotation proxies, which the class-data archive cannot hold: some 50 ms
 * of the 0.34 s {@code bench/merge} measured for {@code carryon cow merge}.
 */
public interface SpecCommand {
  /** This command's model, with this object as what picocli runs. */
  CommandSpec spec();

  /** Factories of the commands under this one: {@link Main} makes only the one named. */
  default List<Supplier<SpecCommand>> subcommands() {
    return List.of();
  }

  /**
   * The model of a command named {@code name} that runs {@code command} (a {@code Runnable} or
   * {@code Callable}), described by {@code description}'s lines, with {@code -h, --help} and
   * {@code -V, --version} worded as picocli's {@code mixinStandardHelpOptions} words them.
   */
  static CommandSpec command(Object command, String name, String... description) {
    CommandSpec spec = CommandSpec.wrapWithoutInspection(command).name(name);
    spec.usageMessage().description(description);
    spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true)
        .description("Show this help message and exit.").build());
    spec.addOption(OptionSpec.builder("-V", "--version").versionHelp(true)
        .description("Print version information and exit.").build());
    return spec;
  }

  /** Adds an option to {@code spec}; its value is the option's {@code getValue()} once parsed. */
  static OptionSpec option(CommandSpec spec, OptionSpec.Builder option) {
    OptionSpec built = option.build();
    spec.addOption(built);
    return built;
  }

  /** A flag of {@code spec}: false until given. */
  static OptionSpec flag(CommandSpec spec, String name, String description) {
    return option(spec, OptionSpec.builder(name).type(boolean.class).initialValue(false).description(description));
  }

  /**
   * Adds to {@code spec} its one positional parameter, required; its value is its {@code getValue()}
   * once parsed.
   */
  static PositionalParamSpec parameter(CommandSpec spec, String label, Class<?> type, String... description) {
    return parameter(spec, 0, label, type, description);
  }

  /** Adds to {@code spec} a required positional parameter at {@code index}, as {@link #parameter}. */
  static PositionalParamSpec parameter(
      CommandSpec spec, int index, String label, Class<?> type, String... description) {
    PositionalParamSpec built = PositionalParamSpec.builder().index(Integer.toString(index)).arity("1").required(true)
        .paramLabel(label).type(type).description(description).build();
    spec.addPositional(built);
    return built;
  }

  /**
   * A binding that hands {@code to} what picocli sets: each parsed value, and before parsing the
   * initial one (null), as it sets an annotated field.
   */
  static ISetter setter(Consumer<Object> to) {
    return new ISetter() {
      @Override
      public <T> T set(T value) {
        to.accept(value);
        return null;
      }
    };
  }
}
