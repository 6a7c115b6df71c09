// Kernel variants a training-step benchmark can run in place of src's (bench.ts --variant NAME): paths not yet
// compared on a GPU that live on the bench side until a measurement shows them winning (the GEMM's variants are
// timed per product by bench/matmul instead).
import { useLayerNormGradPrograms } from './layernorm/programs.js';

export interface StepVariant {
  about: string;
  /** Puts the variant in place of src's kernel; returns the undo. */
  use(): () => void;
}

export const STEP_VARIANTS: Record<string, StepVariant> = {
  lnprograms: {
    about:
      "the WebGPU LayerNorm backward as 3-4 tfjs programs instead of src's 2 raw passes (bench/layernorm/programs.ts)",
    use: useLayerNormGradPrograms,
  },
};

/** Resolves variant names; an unknown one throws, naming the known. */
export function stepVariants(names: string[]): StepVariant[] {
  return names.map((name) => {
    const v = STEP_VARIANTS[name];
    if (!v) throw new Error(`--variant ${name}: not a step variant (${Object.keys(STEP_VARIANTS).join(', ')})`);
    return v;
  });
}
