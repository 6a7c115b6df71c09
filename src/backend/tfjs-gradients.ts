// Registers tfjs's gradient functions (Sum, MatMul, ...): without them tf.grad/variableGrads fail with
// "gradient function not found". tfjs-core's node bundle leaves them out and its ESM file
// `dist/register_all_gradients.js` cannot be imported by Node (extensionless imports inside), so we load the
// union package once, only for this side effect; all code uses '@tensorflow/tfjs-core' for the API itself.
import '@tensorflow/tfjs';
