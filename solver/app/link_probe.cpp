// Link probe of the layering rule (CMakeLists.txt): linked with one layer's whole archive
// and the layers below it, so that any call into a higher layer fails to link.
int main() {
  return 0;
}
