// nanometa's WebAssembly SIMD kernels (AssemblyScript), built by `npm run build:simd` into src/backend/simd.wasm
// and run on tfjs-backend-wasm's heap (the module imports its memory; src/backend/simd.ts loads it).
export { attentionScratchBytes, attentionForward, attentionBackward } from './attention';
export { gelu, geluGrad, rowLogSumExp, crossEntropyGrad } from './elementwise';
export { layerNorm, layerNormGrad, columnSum } from './layernorm';
