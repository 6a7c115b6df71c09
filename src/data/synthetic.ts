// An embedded generator of simple children's stories (written for nanometa, TinyStories-like): characters,
// places, objects and feelings, a problem and its resolution, short dialogue, sometimes a moral.
// Deterministic by seed (src/util/rng.ts), so `data.source=synthetic` needs no download.
import { Rng } from '../util/rng.js';

/** Bump when the generated text changes, so prepared synthetic data is re-made. */
export const SYNTHETIC_VERSION = 2;

interface Character {
  name: string;
  /** e.g. `a little girl named Lily`, `a curious fox named Pip`. */
  intro: string;
  he: string;
  his: string;
  him: string;
  /** 'girl', 'boy', or the animal's kind. */
  kind: string;
}

const GIRLS = ['Lily', 'Mia', 'Anna', 'Zoe', 'Ella', 'Lucy', 'Sara', 'Emma', 'Rosa', 'Nora', 'Ivy', 'Maya', 'Ruby', 'Amy', 'Daisy',
  'Sophie', 'Lena', 'Kim', 'Hannah', 'Grace', 'Chloe', 'Jenny', 'Molly', 'Alice'];
const BOYS = ['Tom', 'Ben', 'Sam', 'Max', 'Leo', 'Jack', 'Tim', 'Noah', 'Finn', 'Kai', 'Omar', 'Hugo', 'Eli', 'Jake', 'Luca',
  'Oscar', 'Theo', 'Adam', 'Ryan', 'Dan', 'Joe', 'Milo', 'Peter', 'Alex'];
const ANIMALS = ['rabbit', 'fox', 'bear', 'cat', 'dog', 'duck', 'mouse', 'frog', 'owl', 'squirrel', 'turtle', 'pig', 'lamb',
  'bird', 'puppy', 'kitten', 'deer', 'hedgehog', 'goat', 'horse', 'bunny', 'monkey', 'elephant', 'lion'];
const PET_NAMES = ['Pip', 'Bubbles', 'Coco', 'Fluffy', 'Sunny', 'Patch', 'Whiskers', 'Buttons', 'Pebble', 'Dot', 'Biscuit',
  'Hops', 'Benny', 'Rosie', 'Spot', 'Tiny', 'Ziggy', 'Honey', 'Mittens', 'Lulu'];
const TRAITS = ['little', 'small', 'brave', 'curious', 'kind', 'shy', 'happy', 'clever', 'funny', 'gentle', 'playful', 'friendly'];
const PLACES = ['in the park', 'in the forest', 'at the beach', 'in the garden', 'on the farm', 'at school', 'by the pond',
  'on a big hill', 'in a small town', 'in the meadow', 'near the river', 'at the zoo', 'in the backyard', 'in the woods'];
const OBJECTS = ['ball', 'kite', 'stone', 'toy car', 'teddy bear', 'hat', 'book', 'boat', 'balloon', 'doll', 'drum',
  'shell', 'key', 'paper plane', 'crown', 'blanket', 'cup', 'whistle', 'robot', 'bucket'];
const COLORS = ['red', 'blue', 'shiny', 'yellow', 'green', 'big', 'tiny', 'pink', 'purple', 'soft', 'old', 'new', 'orange', 'white'];
const FOODS = ['apples', 'cookies', 'cake', 'bread', 'carrots', 'berries', 'sandwiches', 'honey', 'pie', 'cherries', 'muffins'];
const OPENINGS = ['Once upon a time', 'One day', 'One sunny morning', 'One rainy day', 'Last summer', 'One windy afternoon',
  'One cold winter day', 'Early one morning', 'One warm evening', 'Long ago'];
const HIDING = ['under a bush', 'behind a big rock', 'next to a tree', 'in the tall grass', 'under a bench', 'inside an old box',
  'near the gate', 'under some leaves'];
const GAMES = ['tag', 'hide and seek', 'catch', 'jump rope', 'a game with a ball', 'pretend pirates'];
const LIKES = ['sing songs', 'draw pictures', 'climb trees', 'jump in puddles', 'read books', 'dance', 'run fast',
  'look at the stars', 'build sand castles', 'play music', 'count the clouds', 'collect leaves', 'help others', 'tell jokes'];
const SCENES = ['The sun was warm and the birds were singing.', 'The sky was gray and the wind was cold.',
  'The flowers were bright and the grass was green.', 'Everything was quiet and still.', 'The air smelled of rain.',
  'Big white clouds moved slowly across the sky.', 'A little bird was singing in a tree.'];
const ADULTS = [['Mom', 'she'], ['Dad', 'he'], ['Grandma', 'she'], ['Grandpa', 'he'], ['the teacher', 'she']] as const;

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function character(r: Rng, avoid = ''): Character {
  for (;;) {
    const roll = r.next(), trait = r.pick(TRAITS);
    let c: Character;
    if (roll < 0.35) c = { name: r.pick(GIRLS), intro: '', he: 'she', his: 'her', him: 'her', kind: 'girl' };
    else if (roll < 0.7) c = { name: r.pick(BOYS), intro: '', he: 'he', his: 'his', him: 'him', kind: 'boy' };
    else {
      const kind = r.pick(ANIMALS), she = r.next() < 0.5;
      c = { name: r.pick(PET_NAMES), intro: '', he: she ? 'she' : 'he', his: she ? 'her' : 'his', him: she ? 'her' : 'him', kind };
    }
    c.intro = `${/^[aeiou]/.test(trait) ? 'an' : 'a'} ${trait} ${c.kind} named ${c.name}`;
    if (c.name !== avoid) return c;
  }
}

interface Cast {
  a: Character;
  b: Character;
  /** How the friend is named at first mention, e.g. `her friend Tom`, `Pip the fox`. */
  friend: string;
  place: string;
  thing: string;
  food: string;
  adult: readonly [string, string];
}

type Plot = (r: Rng, c: Cast) => string[][];

// Each plot: paragraphs of sentences (set-up, problem, what they try, resolution, ending).
const PLOTS: Plot[] = [
  (r, { a, b, friend, place, thing }) => [
    [`${a.name} had a ${thing} that ${a.he} loved very much.`, `Every day ${a.he} played with it ${place}.`],
    [`But one day, the ${thing} was gone!`, `${a.name} looked everywhere, but ${a.he} could not find it.`,
      r.pick([`${cap(a.he)} felt very sad and started to cry.`, `${cap(a.he)} was so worried.`])],
    [`Then ${friend} came by and asked, "Why are you sad?"`, `"I lost my ${thing}," said ${a.name}.`,
      `"Don't worry, I will help you look," said ${b.name}.`, `They looked ${r.pick(HIDING)} and ${r.pick(HIDING)}.`],
    [`At last, ${b.name} shouted, "I found it!"`, `${a.name} hugged ${b.name} and smiled.`, `"Thank you! You are a good friend," ${a.he} said.`],
  ],
  (r, { a, b, friend, place, thing, adult }) => [
    [`${a.name} was playing with a ${thing} ${place}.`, `${cap(a.he)} threw it high into the air.`],
    [`Oh no! The ${thing} got stuck in a tall tree.`, `${a.name} jumped and jumped, but ${a.he} could not reach it.`],
    r.next() < 0.5
      ? [`${cap(friend)} saw what happened and had an idea.`, `"Let's push that box under the tree," ${b.he} said.`,
        `${a.name} stood on the box and reached up. ${cap(a.he)} got the ${thing} back!`]
      : [`${a.name} ran to ${adult[0]} and asked for help.`, `${cap(adult[0])} took a long stick and gently knocked the ${thing} down.`,
        `"Thank you!" said ${a.name}.`],
    [`${a.name} was very happy again.`, r.pick([`From then on, ${a.he} played far away from the trees.`, `${cap(a.he)} learned that it is good to ask for help.`])],
  ],
  (r, { a, b, friend, food, place }) => [
    [`${a.name} had a basket of ${food}.`, `${cap(a.he)} sat down ${place} to eat them all.`],
    [`${cap(friend)} walked by and looked at the ${food}.`, `"Can I have some?" ${b.he} asked.`, `"No! They are mine," said ${a.name}.`,
      `${b.name} was sad and walked away slowly.`],
    [`${a.name} ate alone, but ${a.he} did not feel happy.`, `The ${food} did not taste so good anymore.`,
      `${cap(a.he)} ran after ${b.name} and said, "I am sorry. Let's share."`],
    [`They ate the ${food} together and laughed.`, r.pick([`${a.name} learned that sharing makes everyone happy.`,
      `The ${food} tasted much better with a friend.`])],
  ],
  (r, { a, adult }) => {
    const [fear, event] = r.pick([['the dark', 'the lights went out'], ['storms', 'a big storm came'], ['thunder', 'thunder boomed outside'],
      ['the big dog next door', 'the big dog barked very loudly'], ['the wind', 'the wind howled at the window'], ['shadows', 'a tall shadow moved on the wall']]);
    return [
      [`${a.name} loved many things, but ${a.he} was scared of ${fear}.`],
      [`One night, ${event}, and ${a.name} hid under ${a.his} blanket.`, `"I am scared," ${a.he} said in a small voice.`],
      [`${adult[0]} sat down next to ${a.him}.`, `"It is okay to be scared," ${adult[1]} said. "But ${fear} cannot hurt you. I am right here."`,
        `${a.name} took a deep breath and looked again.`],
      [`It was not so scary after all.`, `${a.name} felt brave and proud.`, r.pick([`Being brave is not about not being scared.`,
        `${cap(a.he)} smiled and fell asleep.`, `The next time, ${a.he} was not scared at all.`])],
    ];
  },
  (r, { a, b, friend, thing }) => [
    [`${a.name} and ${friend} were playing with ${b.name}'s ${thing}.`],
    [`${a.name} pulled too hard, and the ${thing} broke!`, `${b.name} started to cry. "My ${thing}!" ${b.he} said.`,
      `${a.name} felt bad. ${cap(a.he)} wanted to hide, but ${a.he} knew that was wrong.`],
    [`"I am sorry. It was my fault," said ${a.name}.`, `"Let's fix it together," ${a.he} said.`,
      `They found some ${r.pick(['glue', 'tape', 'string'])} and worked very hard.`],
    [`Soon the ${thing} was as good as new.`, `${b.name} smiled. "Thank you for telling the truth."`,
      r.pick([`It is always better to be honest.`, `They played together all day.`])],
  ],
  (r, { a, b, place }) => [
    [`${cap(a.intro)} lived ${place}.`, `One day, ${a.he} saw ${b.intro} sitting all alone.`],
    [`${b.name} was new and had no friends yet.`, `${cap(b.he)} looked lonely and a little sad.`],
    [`${a.name} walked over and said, "Hello! Do you want to play with me?"`, `${b.name} smiled a big smile. "Yes, please!"`,
      `They played ${r.pick(GAMES)} until the sun went down.`],
    [`From that day on, ${a.name} and ${b.name} were best friends.`, r.pick([`A kind word can make a new friend.`, `They met ${place} every day.`])],
  ],
  (r, { a, b, friend, place }) => [
    [`${a.name} and ${friend} wanted to have a race ${place}.`, `"The first one to the big tree wins!" said ${a.name}.`],
    [`They ran as fast as they could.`, `But ${b.name} fell down and hurt ${b.his} knee.`, `"Ouch!" ${b.he} cried.`],
    [`${a.name} could win the race, but ${a.he} stopped.`, `${cap(a.he)} helped ${b.name} get up.`, `"Are you okay?" ${a.he} asked.`],
    [`They walked to the tree together, holding hands.`, r.pick([`Being kind is better than winning.`, `Nobody won, but they were both happy.`])],
  ],
  (r, { a, b, friend, adult }) => [
    [`It was the birthday of ${friend}.`, `${a.name} wanted to make a cake with ${adult[0]}.`],
    [`They mixed the flour, the eggs and the milk.`, `But ${a.name} dropped the bowl, and it fell on the floor!`,
      `${a.name} was upset. "Now there is no cake," ${a.he} said.`],
    [`"We can try again," said ${adult[0]}.`, `This time ${a.name} was very careful.`, `The cake came out warm and sweet.`],
    [`${b.name} was so happy to see the cake.`, `"This is the best birthday ever!" ${b.he} said.`,
      r.pick([`${a.name} learned not to give up.`, `They ate the cake and sang songs.`])],
  ],
  (r, { a, adult }) => [
    [`${a.name} saw a pretty ${r.pick(['butterfly', 'bird', 'ladybug', 'balloon'])} and followed it into the woods.`],
    [`Soon ${a.name} did not know where ${a.he} was.`, `The trees were tall and dark.`, `${cap(a.he)} was lost and felt scared.`],
    [`Then a wise old owl said, "Hoo! Are you lost?"`, `"Yes," said ${a.name}. "I want to go home."`,
      `"Follow the path by the river," said the owl.`, `${a.name} followed the path, and soon ${a.he} saw ${a.his} house.`],
    [`${adult[0]} gave ${a.him} a big hug.`, r.pick([`${a.name} learned to stay close to home.`, `"I missed you," ${adult[1]} said.`])],
  ],
  (r, { a, b, friend }) => {
    const plant = r.pick(['a flower', 'a carrot', 'a sunflower', 'a pumpkin', 'a tomato', 'an apple tree']);
    return [
      [`${a.name} found a little seed.`, `${cap(a.he)} put it in the ground to grow ${plant}.`],
      [`Every day ${a.he} gave it water.`, `But nothing happened.`, `"Why is it not growing?" ${a.he} asked ${friend}.`],
      [`"Plants need time," said ${b.name}. "You have to wait."`, `So ${a.name} waited and waited.`],
      [`One morning, ${a.he} saw something green.`, `Soon there was ${plant}!`, r.pick([`Good things come to those who wait.`,
        `${a.name} was so proud of it.`, `${a.name} and ${b.name} clapped and danced.`])],
    ];
  },
  (r, { a, b, friend, food }) => [
    [`${a.name} and ${friend} packed ${food} for a picnic.`, `They were very excited.`],
    [`But when they got to the hill, dark clouds came.`, `It started to rain!`, `"Our picnic is ruined," said ${b.name} sadly.`],
    [`${a.name} had an idea. "Let's have the picnic inside!"`, `They put a blanket on the floor and ate the ${food}.`],
    [`When the rain stopped, they saw a big rainbow.`, r.pick([`"This is the best picnic," said ${a.name}.`,
      `A bad day can still have a happy end.`])],
  ],
  (r, { a, adult, place }) => {
    const hurt = r.pick(['bird', 'kitten', 'puppy', 'duck']);
    return [
      [`${a.name} was walking ${place} when ${a.he} heard a small sound.`, `It was a little ${hurt}.`],
      [`The ${hurt} had a hurt leg and could not move.`, `${a.name} felt sorry for it.`],
      [`${cap(a.he)} carried it home to ${adult[0]}.`, `They gave it a soft bed and some water.`, `${a.name} took care of it every day.`],
      [`Soon the ${hurt} was strong again.`, r.pick([`It was so happy that it stayed with ${a.name} forever.`,
        `It said goodbye and ran off, and ${a.name} waved.`, `${a.name} felt warm inside. Helping others feels good.`])],
    ];
  },
  (r, { a, b, friend, thing, adult }) => [
    [`${a.name}'s room was very messy.`, `There were toys and clothes all over the floor.`],
    [`One day ${a.he} wanted to play with ${a.his} ${thing}, but ${a.he} could not find it.`,
      `"Where is my ${thing}?" ${a.he} cried.`, `${adult[0]} said, "Maybe it is hiding in the mess."`],
    [`So ${a.name} and ${friend} started to clean up.`, `They put the books on the shelf and the toys in a box.`,
      `Under the bed, they found the ${thing}!`],
    [`Now the room was clean and the ${thing} was safe.`, r.pick([`${a.name} learned that a tidy room is a happy room.`,
      `"Cleaning is more fun with a friend," said ${b.name}.`])],
  ],
  (r, { a, b, friend }) => [
    [`It snowed all night.`, `In the morning, ${a.name} and ${friend} ran outside to build a snowman.`],
    [`They rolled a big ball and a small ball.`, `They gave the snowman a carrot nose and two stone eyes.`,
      `But the next day the sun came out, and the snowman started to melt.`, `${a.name} was sad. "Our snowman is going away," ${a.he} said.`],
    [`${b.name} said, "Don't be sad. We can build a new one when it snows again."`],
    [`${a.name} smiled.`, r.pick([`Some fun things do not last, but you can always make new ones.`,
      `They went inside and had warm milk.`, `When the snow came again, they built the biggest snowman ever.`])],
  ],
  (r, { a, b, friend, place }) => {
    const wish = r.pick(['to fly like a bird', 'a mountain of candy', 'to be the biggest in town', 'a hundred toys']);
    return [
      [`${a.name} found a magic ${r.pick(['shell', 'stone', 'lamp', 'feather'])} ${place}.`, `A tiny voice said, "I can give you one wish."`],
      [`${a.name} thought about ${wish}.`, `But then ${a.he} saw ${friend}, who looked sad because ${b.his} house was cold.`],
      [`"I wish that my friend will be warm and happy," said ${a.name}.`, `There was a bright flash of light.`,
        `${b.name}'s house was warm and full of light.`],
      [`${b.name} hugged ${a.name}.`, r.pick([`The best wishes are the ones we make for others.`,
        `A happy friend was better than any wish.`])],
    ];
  },
];

/** How the friend is named at first mention. */
function friendRef(r: Rng, a: Character, b: Character): string {
  const roll = r.next();
  if (roll < 0.4) return b.name;
  if (roll < 0.7) return `${a.his} friend ${b.name}`;
  if (b.kind === 'girl' || b.kind === 'boy') return `a ${b.kind} named ${b.name}`;
  return `${b.name} the ${b.kind}`;
}

/** One story from the generator's current state. */

export function syntheticStory(r: Rng): string {
  const a = character(r), b = character(r, a.name);
  const cast: Cast = { a, b, friend: friendRef(r, a, b), place: r.pick(PLACES), thing: `${r.pick(COLORS)} ${r.pick(OBJECTS)}`, food: r.pick(FOODS), adult: r.pick(ADULTS) };
  const paragraphs = r.pick(PLOTS)(r, cast);
  const opening = `${r.pick(OPENINGS)}, there was ${a.intro}.`;
  if (!paragraphs[0][0].toLowerCase().includes(a.intro)) paragraphs[0].unshift(opening);
  if (r.next() < 0.4) paragraphs[0].splice(1, 0, `${cap(a.he)} liked to ${r.pick(LIKES)}.`);
  if (r.next() < 0.3) paragraphs[0].push(r.pick(SCENES));
  if (r.next() < 0.3) paragraphs[paragraphs.length - 1].push(r.pick(['The end.', 'And they all lived happily.', 'It was a good day.']));
  return paragraphs.map((p) => p.join(' ')).join('\n');
}

/** `count` stories from `seed`; the same arguments always give the same stories. */
export function* generateSyntheticStories(seed: number, count: number): Generator<string> {
  const r = new Rng(seed);
  for (let i = 0; i < count; i++) yield syntheticStory(r);
}
