using System.Runtime.CompilerServices;

// ILGPU's CPU accelerator emits launcher types into a dynamic assembly named ILGPURuntime; it must see the
// internal argument structs the kernels take.
[assembly: InternalsVisibleTo("ILGPURuntime")]
