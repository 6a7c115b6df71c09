import { tokenPermutation } from './src/data/nonstationary.js';
const f = []; for (let s = 0; s < 40; s++) { const p = tokenPermutation(s, 300); f.push(p.filter((v,i)=>v===i).length); }
console.log(f.join(' '));
