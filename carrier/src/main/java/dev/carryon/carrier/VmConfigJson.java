package dev.carryon.carrier;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The JSON form of {@link VmConfig} inside the manifest: one field per record component. */
final class VmConfigJson {
  private VmConfigJson() {}

  static ObjectNode write(VmConfig vm) {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("machineType", vm.machineType());
    o.put("cpuModel", vm.cpuModel());
    o.put("memoryMiB", vm.memoryMiB());
    o.put("cpus", vm.cpus());
    o.put("diskInterface", vm.diskInterface());
    o.put("kernel", vm.kernel());
    o.put("initrd", vm.initrd());
    o.put("append", vm.append());
    vm.extraDevices().forEach(o.putArray("extraDevices")::add);
    return o;
  }

  static VmConfig read(JsonFields f) throws CarrierFormatException {
    VmConfig vm;
    try {
      vm =
          new VmConfig(
              f.text("machineType"),
              f.text("cpuModel"),
              f.whole("memoryMiB"),
              f.smallWhole("cpus"),
              f.text("diskInterface"),
              f.textOrNull("kernel"),
              f.textOrNull("initrd"),
              f.textOrNull("append"),
              f.texts("extraDevices"));
    } catch (IllegalArgumentException e) {
      throw f.invalid(e.getMessage());
    }
    f.done();
    return vm;
  }
}
