"""The built-in training text: English prose made by a small grammar, the same bytes everywhere.

Why a generator: the corpus must be identical on every machine and every Python 3.11-3.13
(so the pipeline's checksums and results repeat), must read like a novel (paragraphs,
dialogue in double quotes, commas, questions, capitals, apostrophes) so a character-level
RNN learns English spelling and punctuation, and must be nobody else's text. The story
world, every word list and every template below were written for this project; nothing is
downloaded or copied. Choices come from a splitmix64 generator in integer arithmetic, never
from `random`, hash order or float formatting.

Standard library only and no relative imports: `python rnn/core/prose.py` prints `N K sha256`.
generate() with its defaults (seed 1, 500,000 characters asked for) gives N = 500,177
characters with K = 72 distinct ones (tests/unit/test_prose.py pins the checksum).
"""

import hashlib
import re
import sys

NAME = "prose"
DEFAULT_SEED = 1
DEFAULT_CHARACTERS = 500_000
MASK = 0xFFFFFFFFFFFFFFFF

# ---------------------------------------------------------------- the story world
PEOPLE = (  # (name, pronoun)
    ("Mara", "she"), ("Tom", "he"), ("Nell", "she"), ("Edwin", "he"), ("Ruth", "she"),
    ("Jonah", "he"), ("Agnes", "she"), ("Owen", "he"), ("Cora", "she"), ("Bram", "he"),
    ("Ilse", "she"), ("Felix", "he"), ("Pippa", "she"), ("Hugo", "he"), ("Hester", "she"),
    ("Silas", "he"), ("Dora", "she"), ("Walter", "he"), ("Lena", "she"), ("Quentin", "he"),
    ("Una", "she"), ("Rafe", "he"), ("Greta", "she"), ("Zeke", "he"), ("Yara", "she"),
    ("Victor", "he"), ("Bea", "she"), ("Ned", "he"), ("Ash", "they"), ("Wren", "they"),
    ("Kit", "they"), ("Jude", "they"), ("Esme", "she"), ("Gideon", "he"),
)
PRONOUNS = {  # pronoun -> (they, them, their, themselves, was, verb -s, has)
    "she": ("she", "her", "her", "herself", "was", "s", "has"),
    "he": ("he", "him", "his", "himself", "was", "s", "has"),
    "they": ("they", "them", "their", "themselves", "were", "", "have"),
}
ROLE_FIELDS = ("they", "them", "their", "themselves", "was", "s", "has")
TOWNS = ("Wendlow", "Upper Brenn", "Marrow Point", "Fennick")

WORDS = {
    "place": ("the mill", "the harbour", "the lighthouse", "the station", "the bakery",
              "the chapel", "the ferry landing", "the boathouse", "Orrin Hall", "Yew Cottage",
              "the inn on Juniper Street", "the forge", "the school", "the market",
              "Vell Bridge", "Kettle Point", "the post office", "the old quarry", "Alder Quay",
              "the doctor's house", "the orchard", "the signal box", "Zander's Yard", "Quarry Row"),
    "noun": ("lantern", "key", "letter", "map", "basket", "knife", "rope", "kettle", "compass",
             "coat", "umbrella", "ledger", "oar", "envelope", "hat", "shovel", "bucket", "bell",
             "candle", "notebook", "photograph", "clock", "ring", "scarf", "jug", "box",
             "fiddle", "telescope", "blanket", "hammer", "whistle", "purse", "apron", "saddle"),
    "adj": ("old", "small", "heavy", "brass", "wooden", "broken", "red", "green", "rusty",
            "new", "battered", "silver", "empty", "tin", "cracked", "heavy iron", "little",
            "worn", "painted", "borrowed", "elegant", "ugly", "odd", "enormous", "blue"),
    "feature": ("the gate", "the well", "the old oak", "the bridge", "the stone wall",
                "the water pump", "the boathouse door", "the churchyard wall", "the signpost",
                "the hedge", "the ferry steps", "the back door", "the garden wall",
                "the woodpile", "the lamp post", "the chestnut tree", "the harbour wall"),
    "on_furniture": ("on the table", "on the shelf", "in the drawer", "on the windowsill",
                     "under the bed", "on the bench", "in the cupboard", "behind the stove",
                     "on the mantelpiece", "in the chest at the foot of the bed", "by the door"),
    "stow": ("in {their} pocket", "in the basket", "under {their} coat", "on the shelf by the door",
             "in a drawer", "inside {their} satchel", "on the kitchen table", "behind the clock"),
    "time": ("early morning", "late afternoon", "evening", "dusk", "nearly midnight",
             "just after dawn", "noon", "the middle of the night", "a grey morning in {month}",
             "a cold evening in {month}", "the last day of {month}"),
    "daytime": ("morning", "afternoon", "evening", "night"),
    "day": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "month": ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December"),
    "weather": ("rain was falling on the roofs", "a thin fog lay over the fields",
                "the wind had turned cold", "the sky was clear and very still",
                "snow had begun to settle on the walls", "the clouds hung low over the hills",
                "a warm wind was blowing from the south", "the puddles in the lane had frozen",
                "the sun was low and yellow", "thunder was rolling somewhere to the west",
                "the air smelled of smoke and wet leaves", "a fine drizzle was drifting over the roofs",
                "the frost had turned the grass white", "it was hot and nothing moved"),
    "storm": ("rain", "fog", "wind", "snow", "storm", "weather"),
    "sound": ("a dog barked", "a door banged shut", "a bell began to ring", "the gulls were crying",
              "an owl called twice", "someone was singing", "a cart rattled over the stones",
              "a child laughed", "a window slammed", "the church clock struck the hour",
              "a horse whinnied", "somebody whistled a tune", "the kettle began to sing"),
    "noise": ("the rain", "the sea", "the wind in the chimney", "the clock in the hall",
              "the gulls", "the river", "the voices in the next room", "the fire"),
    "doing": ("sitting on the steps", "mending a net", "reading a newspaper", "counting coins",
              "feeding the hens", "sweeping the yard", "staring at the water", "peeling apples",
              "splitting logs", "talking to the ferryman", "waiting in the doorway",
              "painting the fence", "writing in a notebook", "asleep in a chair", "unloading a cart"),
    "walked": ("walked", "hurried", "wandered", "ran", "rode", "went", "trudged", "strolled",
               "cycled", "drove", "limped", "crept"),
    "manner": ("quietly", "alone", "back", "straight", "at once", "without a word",
               "in silence", "as fast as {they} could", "", "", ""),
    "put": ("put", "set", "placed", "laid", "left"),
    "trinket": ("a button", "a pencil stub", "a bent nail", "a shell", "a small key",
                "a folded letter", "a ticket to {town}", "a brass whistle", "an acorn"),
    "smell": ("bread", "tar", "woodsmoke", "wet wool", "lamp oil", "apples", "salt", "soap",
              "old paper", "pine resin", "coffee", "damp stone", "fish", "candle wax", "mint"),
    "colour": ("grey", "white", "pale blue", "green", "yellow", "dark red", "brown"),
    "dusk": ("gold", "purple", "grey", "blue", "pink", "black"),
    "pet": ("ginger cat", "black cat", "tabby cat", "old dog", "spaniel", "terrier", "kitten"),
    "relative": ("grandmother", "grandfather", "mother", "father", "aunt", "uncle", "cousin",
                 "older sister", "younger brother", "godmother"),
    "event": ("the flood", "the winter the river froze", "the fire", "the summer fair",
              "the storm in {month}", "the wedding", "{their} father died", "the harvest",
              "the night of the shipwreck", "the quarrel with {C}"),
    "mood": ("quiet", "crowded", "cold", "warm", "dark", "noisy", "empty", "strangely still",
             "bright with lamps", "smaller than {A} remembered"),
    "number": ("two", "three", "four", "five", "seven", "nine", "eleven", "twelve",
               "fifteen", "twenty", "twenty-two", "forty"),
    "hour": ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
             "eleven", "twelve"),
    "chore": ("mend the fence", "talk to {C}", "look for the {thing}", "write some letters",
              "go down to {other_place}", "fix the roof", "pay the rent", "clean the windows"),
    "beat": ("put the {thing} down on the table", "looked out of the window",
             "pulled off {their} gloves", "sat down heavily", "poured the tea",
             "glanced at the door", "wiped {their} hands on {their} apron",
             "turned the {thing} over in {their} hands", "leaned against the wall",
             "threw another log on the fire", "folded {their} arms", "took off {their} hat"),
    "said": ("whispered", "muttered", "said softly", "called", "admitted",
             "said quietly", "said at last", "said, without looking up"),
    "saying": ("a closed door keeps no secrets", "the sea always takes something back",
               "you can't hurry bread", "a borrowed coat never fits",
               "nobody ever drowned in a puddle", "the first answer is usually the honest one"),
}
VERBS = (  # (base, past, participle): things you can do to an object
    ("take", "took", "taken"), ("carry", "carried", "carried"), ("find", "found", "found"),
    ("hide", "hid", "hidden"), ("drop", "dropped", "dropped"), ("bring", "brought", "brought"),
    ("fetch", "fetched", "fetched"), ("lose", "lost", "lost"), ("keep", "kept", "kept"),
    ("move", "moved", "moved"), ("borrow", "borrowed", "borrowed"), ("sell", "sold", "sold"),
    ("buy", "bought", "bought"), ("leave", "left", "left"), ("forget", "forgot", "forgotten"),
    ("steal", "stole", "stolen"), ("send", "sent", "sent"), ("pick up", "picked up", "picked up"),
    ("wrap", "wrapped", "wrapped"), ("throw away", "threw away", "thrown away"),
    ("examine", "examined", "examined"), ("clean", "cleaned", "cleaned"),
)
VERB_FORMS = {"take": 0, "took": 1, "taken": 2}

# ---------------------------------------------------------------- sentences
# {A} is the paragraph's main character (a name, later often a pronoun), {B} the other one in
# the scene, {C} anyone else. {they} {their} {was} ... agree with A; {B_their}, {C_s} with B, C.
# {a_object} is "a rusty key" with the right article; a trailing digit asks for a second draw.
OPENINGS = (
    "It was {time} when {A} came to {place}.",
    "On {day} {daytime} {A} {walked} down to {place}.",
    "{A} reached {place} a little before {hour} o'clock.",
    "The road to {place} was longer than {A} remembered, and {they} arrived tired.",
    "By the time {A} got to {place}, {weather}.",
    "{A} had promised to meet {B} at {place}, and for once {they} {was} early.",
    "Nobody expected {A} at {place} that {daytime}, least of all {B}.",
)
ACTIONS = (
    "{A} {walked} {manner} to {place}.",
    "{A} found the {thing} {on_furniture} and {put} it {stow}.",
    "When {A} reached {feature}, {they} saw {B} {doing}.",
    "{A} had not been to {other_place} since {event}.",
    "For a while {A} stood by {feature} and listened to {noise}.",
    "{A} {was} tired, but {they} did not want to go home yet.",
    "{A} thought about {C} and the {thing}, and wondered what {C_they} had meant.",
    "{A} turned the {thing} over and over, looking for a mark.",
    "{As} hands were cold, so {they} kept them in {their} pockets.",
    "{A} looked at {B} for a long moment.",
    "{A} had left {a_object} at {other_place} the day before.",
    "{A} could not remember whether {they} had locked the door.",
    "{A} knew that {B} would be angry, but {they} went on anyway.",
    "{A} counted the coins twice; there were {number} of them.",
    "{A} {was} halfway to {other_place} before {they} realised that {they} had forgotten the {thing}.",
    "At the end of the lane {A} stopped and turned around.",
    "The {thing} had belonged to {As} {relative}.",
    "{A} sighed and looked out at the {storm}.",
    "{A} and {B} {walked} together as far as {feature}, and there they parted.",
    "It was the kind of {daytime} when nothing seemed to happen, and {A} liked it that way.",
    "{A} had never trusted {C}, and {they} {was} not about to start now.",
    "The {thing} was heavier than {A} had expected.",
    "{A} wrote a short note to {C} and pushed it under the door.",
    "By the time {A} got back, the fire had gone out and the room was cold.",
    "{A} {was} sure that someone had been in the house while {they} {was} away.",
    "Later, when the others had gone to bed, {A} sat by the stove and thought about {C}.",
    "In the morning there would be time to {chore}; tonight {A} only wanted to sleep.",
    "{A} took the {thing} without asking, which was not like {them} at all.",
    "{A} found {a_object} {on_furniture}, and beside it {a_object2}.",
    "{A} said goodbye to {B} and {walked} {manner} to {other_place}.",
    "It had been a long {daytime}, and {A} {was} glad to sit down.",
    "{A} wanted to ask {B} about the {thing}, but the moment passed.",
    "{As} {relative} had always said that {saying}.",
    "{A} laughed, and after a moment {B} laughed too.",
    "{A} pulled {their} coat tighter and went on.",
    "{A} lit a candle and carried it up the stairs.",
    "If {C} had seen the {thing}, {C_they} had said nothing about it.",
    "{A} did not believe a word of it, but {they} kept quiet.",
    "Twice {A} started to speak, and twice {they} changed {their} mind.",
    "{A} put the kettle on and waited for {B} to come back from {other_place}.",
    "{A} asked {B} to keep an eye on the {thing} until {they} came back.",
    "{A} emptied {their} pockets onto the table: {trinket}, a piece of string and {number} pennies.",
    "{A} did not like the look of the sky, so {they} went in and closed the shutters.",
    "Nobody answered when {A} knocked at the door of {other_place}.",
    "{A} {was} not the sort of person who gave up easily.",
    "Every {day}, {A} {walked} to {other_place} and back.",
    "{A} wondered, not for the first time, why {C} had come to {town} at all.",
    "{A} opened the door to find {B} on the step, soaked to the skin.",
    "It was almost dark when {A} finally found the {thing}.",
    "{A} hung {their} coat on the hook and warmed {their} hands at the fire.",
    "{A} told {B} everything: the {thing}, {other_place}, and what {C} had said.",
    "Halfway up the hill, {A} stopped to catch {their} breath.",
    "{A} had lived in {town} all {their} life and knew every lane by heart.",
)
SETTING = (
    "Outside, {weather}.",
    "Somewhere beyond {feature}, {sound}.",
    "{place} was {mood} at this hour.",
    "The room smelled of {smell} and {smell2}.",
    "{a_pet} was asleep {on_furniture}.",
    "Someone had left a window open, and the curtains moved in the draught.",
    "Down in the valley, the lights of {town} were coming on one by one.",
    "The clock in the hall struck {hour}.",
    "Far out on the water, a boat was turning for home.",
    "Nobody at {place} knew where the {thing} had come from.",
    "It had been years since anyone had opened the doors of {other_place}.",
    "The walls were {colour} and the floor was worn smooth by years of boots.",
    "There was {a_object} {on_furniture}, and nobody could say whose it was.",
    "Everything smelled of {smell}.",
    "In the yard, {sound}; then it was quiet again.",
    "The {storm} had kept most people indoors, and the lane was empty.",
    "Showers came and went all {daytime}.",
    "A light was burning in one of the upper windows of {other_place}.",
    "The lane was full of puddles, and the hedges dripped.",
    "Smoke rose straight up from the chimneys of {town}.",
    "Across the harbour, somebody was hammering at the hull of a boat.",
    "Beyond the roofs of {town}, the hills were turning {dusk} in the last of the light.",
)
QUESTIONS = (  # (question, answers that fit it)
    ("Where did you leave the {thing}?", "I left it at {other_place}.",
     "Where I always leave it, {on_furniture}.", "I don't remember, and that's the truth."),
    ("Have you seen {C} today?", "{C} went down to {other_place} after breakfast.",
     "Not since yesterday.", "I saw {C_them} by {feature} this morning."),
    ("Why didn't you tell me about the {thing}?", "I didn't think you'd believe me.",
     "You never asked.", "Because {C} made me promise not to."),
    ("Who gave you that {noun}?", "Nobody gave it to me. I found it.",
     "My {relative}, a long time ago.", "{C} did, if you must know."),
    ("What time is it?", "Nearly {hour} o'clock.", "Later than you think.", "Time we went home."),
    ("Are you coming to {other_place} tomorrow?", "Only if {C} is coming too.",
     "I wouldn't miss it.", "I've never liked {other_place}."),
    ("Is it true that {C} {took} the {thing}?", "Who told you that?", "I'm afraid it is.",
     "Of course not. {C} would never do a thing like that."),
    ("How long have you been waiting here?", "An hour, perhaps more.", "Long enough.",
     "Since {hour} o'clock."),
    ("Did you hear that?", "It's only the wind.", "Hear what?", "Keep still!"),
    ("Can you carry the {thing} as far as {feature}?", "I can try.", "Not with this arm, I can't.",
     "If you carry the rest."),
    ("What are you going to do now?", "Go home and sleep.", "I'm going to {chore}.",
     "I haven't decided yet."),
    ("Do you think {C} knows?", "{C} knows everything that happens in {town}.", "I hope not.",
     "Does it matter?"),
    ("Have you ever been to {other_place}?", "Once, when I was small.",
     "Never, and I don't intend to go."),
    ("Why would anyone want to {take} {a_object}?", "People do strange things.",
     "You'd be surprised."),
    ("Where is everyone?", "At {other_place}, I expect.", "Gone home, all of them."),
    ("Would you like some tea?", "Yes, please.", "Not now, thank you."),
    ("Shall we go back?", "Not yet.", "Yes, before the {storm} gets worse."),
    ("Is that your {thing}?", "It was my {relative}'s.", "It is now.", "No, it's {Cs}."),
    ("Who's there?", "Only me.", "It's {C}. Let me in!"),
    ("What did {C} say when you told {C_them}?", "Nothing at all.", "{C_they} laughed.",
     "{C_they} said it was none of my business."),
    ("Why are you still awake?", "I couldn't sleep.", "I was waiting for you."),
    ("Was it you who left the gate open?", "It wasn't me.", "What if it was?"),
    ("You're not going out in this {storm}, are you?", "I have to.", "Only as far as {feature}."),
    ("How far is it to {other_place}?", "{number} miles, more or less.", "Too far to walk tonight."),
    ("Did {C} ever give the {thing} back?", "No, and {C_they} never will.", "Last {day}, in the end."),
    ("What were you doing at {other_place}?", "Looking for {C}.", "That's my business."),
    ("Can I trust you?", "You'll have to.", "Have I ever let you down?"),
    ("Where did you find the {thing}?", "It was {on_furniture} at {other_place}.",
     "Under a pile of sacks at {other_place}."),
    ("What's wrong?", "Nothing. I'm just tired.", "I think someone has been in the house."),
    ("Do you know what this is?", "It looks like {a_object}.", "I've no idea."),
)
STATEMENTS = (  # to start a turn
    "It's getting late.", "{C} will be back before dark.", "We should go before the {storm} gets worse.",
    "I saw {C} by {feature} this morning.", "Nobody has been up to {other_place} for years.",
    "The {thing} was here a minute ago.", "My {relative} used to say that {saying}.",
    "There's {a_object} in the kitchen, if you want it.", "I've been looking for you all {daytime}.",
    "We'll need {a_object} and {a_object2}.", "I think someone has been here.",
    "I promised {C} I would wait.", "The door was open when I got here.", "I can't stay long.",
    "{C} says the {thing} is worth a fortune.", "Leave it where it is.",
    "I'd rather not talk about it.", "The last boat leaves at {hour}.", "You look tired.",
    "I met {C} on the road from {other_place}.", "Something is wrong with the {thing}.",
)
RESPONSES = (  # to answer a statement
    "You worry too much.", "I don't know.", "That's not what {C} told me.", "Let's go, then.",
    "I suppose you're right.", "So you keep telling me.", "Really?", "Then we'd better hurry.",
    "I know.", "Is that so?", "Well, I'm not going to argue.",
)
EXCLAMATIONS = (
    "Look at the sky!", "Wait for me!", "Shut the door, quickly!", "That's my {thing}!",
    "Not again!", "Don't touch that!", "Come and see this!", "There it is!",
    "Oh, you startled me!", "Run!", "Hold on!", "Be careful with the {thing}!", "Listen!",
    "Good heavens, it's {C}!", "Stop!",
)
REPLIES = (
    "{A} said nothing.", "{A} shrugged.", "{A} laughed.", "{A} shook {their} head.",
    "{A} looked away.", "{A} did not answer at once.", "For a moment {A} did not move.",
    "{A} smiled and turned back to the window.", "{A} nodded slowly.",
    "{A} pretended not to hear.",
)
# How a line of speech is tagged: {line} ends in . ? or !, {line_} has a comma for "said";
# {S} is the speaker's name, {A} the name or (once both are known) a pronoun.
TAGS = {
    "?": ('"{line}" asked {S}.', '"{line}" {A} asked.', '"{line}"', '{A} {beat}. "{line}"',
          '"{line}" {A} asked, after a while.'),
    ".": ('"{line_}" said {S}.', '"{line_}" {A} said.', '"{line}"', '{A} {beat}. "{line}"',
          '"{line_}" {A} {said}.', '"{line_}" {A} said. "{line2}"'),
    "!": ('"{line}" {A} cried.', '"{line}" shouted {S}.', '"{line}"'),
}


# ---------------------------------------------------------------- machinery
class Rng:
    """splitmix64: 64-bit integer state, explicit masking, the same numbers on every Python."""

    def __init__(self, seed: int):
        self.state = seed & MASK

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n: int) -> int:
        """Uniform on 0..n-1 without modulo bias (reject the incomplete top block)."""
        limit = (1 << 64) - (1 << 64) % n
        while True:
            x = self.next()
            if x < limit:
                return x % n

    def pick(self, seq):
        return seq[self.below(len(seq))]

    def chance(self, k: int, n: int) -> bool:
        return self.below(n) < k

    def weighted(self, pairs):
        """pairs of (integer weight, item)."""
        x = self.below(sum(w for w, _ in pairs))
        for w, item in pairs:
            if x < w:
                return item
            x -= w
        raise AssertionError("unreachable")


def article(phrase: str) -> str:
    w = phrase.lower()
    vowel = w[0] in "aeiou" and not w.startswith(("one", "uni", "use", "eu"))
    return ("an " if vowel or w.startswith(("hour", "honest")) else "a ") + phrase


def cap(sentence: str) -> str:
    """Capital first letter, looking past an opening quote."""
    i = 1 if sentence.startswith('"') else 0
    return sentence[:i] + sentence[i].upper() + sentence[i + 1:]


FIELD = re.compile(r"\{(\w+)\}")


class Person:
    def __init__(self, name: str, pronoun: str):
        self.name = name
        self.forms = dict(zip(ROLE_FIELDS, PRONOUNS[pronoun]))
        self.pronoun = pronoun


class Writer:
    """Fills templates left to right; remembers the scene and who has been named."""

    def __init__(self, seed: int):
        self.rng = Rng(seed)
        self.people = tuple(Person(n, p) for n, p in PEOPLE)
        self.roles = {}
        self.named = False  # has A been named in this paragraph (so a pronoun may follow)?
        self.recent = []

    def new_scene(self, keep_people: bool):
        r = self.rng
        if not keep_people or "A" not in self.roles:
            a = r.pick(self.people)
            self.roles = {"A": a, "B": self.other(a)}
        elif r.chance(1, 2):
            self.roles = {"A": self.roles["B"], "B": self.roles["A"]}
        self.scene = {"place": r.pick(WORDS["place"]), "thing": r.pick(WORDS["noun"]),
                      "weather": r.pick(WORDS["weather"]), "daytime": r.pick(WORDS["daytime"]),
                      "town": r.pick(TOWNS)}

    def other(self, *not_these):
        while True:
            p = self.rng.pick(self.people)
            if p not in not_these:
                return p

    def choose(self, templates):
        """A template not among the last dozen used, so a paragraph does not repeat itself."""
        for _ in range(8):
            t = self.rng.pick(templates)
            if t not in self.recent:
                break
        self.recent = self.recent[-11:] + [t]
        return t

    def sentence(self, template: str, carry=None) -> str:
        self.cache = dict(carry or {})  # field -> value within one sentence (or answer)
        self.plain = {}  # role -> was its last mention the pronoun "they"?
        return cap(self.fill(template))

    def fill(self, template: str) -> str:
        text = FIELD.sub(lambda m: self.field(m.group(1)), template)
        return text.replace("  ", " ").replace(" ,", ",").replace(" .", ".").replace(" ;", ";")

    def field(self, name: str) -> str:
        r = self.rng
        if name in ("A", "As"):  # the main character: a name first, then often a pronoun
            p = self.roles["A"]
            if self.named and r.chance(2, 3):
                self.plain["A"] = p.pronoun == "they"
                return p.forms["their"] if name == "As" else p.forms["they"]
            self.named, self.plain["A"] = True, False
            return p.name + ("'s" if name == "As" else "")
        role, _, key = name.rpartition("_") if name[:2] in ("B_", "C_") else ("A", "", name)
        if key in ROLE_FIELDS:
            p = self.person(role)
            if key == "they":
                self.plain[role] = p.pronoun == "they"
            if key in ("was", "s", "has") and not self.plain.get(role, True):
                return key  # after a name ("Ash was"), not after "they" ("they were")
            return p.forms[key]
        if name == "S":
            return self.roles["A"].name
        if name in ("B", "C", "Bs", "Cs"):
            self.plain[name[0]] = False
            return self.person(name[0]).name + ("'s" if name.endswith("s") else "")
        if name in self.cache:
            return self.cache[name]
        base = name.rstrip("0123456789")
        if base in self.scene:
            value = self.scene[base]
        elif base == "other_place":
            value = self.scene["place"]
            while value == self.scene["place"]:
                value = r.pick(WORDS["place"])
        elif base == "a_object":
            noun = r.pick(WORDS["noun"])
            value = article(r.pick(WORDS["adj"]) + " " + noun if r.chance(2, 3) else noun)
        elif base.startswith("a_"):
            value = article(r.pick(WORDS[base[2:]]))
        elif base in VERB_FORMS:
            value = r.pick(VERBS)[VERB_FORMS[base]]
        else:
            value = self.fill(r.pick(WORDS[base]))
        self.cache[name] = value
        return value

    def person(self, role: str) -> Person:
        if role == "C" and "C" not in self.cache:
            self.cache["C"] = self.other(self.roles["A"], self.roles["B"])
        return self.cache["C"] if role == "C" else self.roles[role]

    # ------------------------------------------------------------ paragraphs
    def narration(self, opening: bool) -> str:
        r = self.rng
        self.named = False
        out = [self.sentence(self.choose(OPENINGS if opening else ACTIONS))]
        for _ in range(1 + r.weighted(((2, 0), (4, 1), (4, 2), (3, 3), (2, 4), (1, 5)))):
            out.append(self.sentence(self.choose(SETTING if r.chance(1, 4) else ACTIONS)))
        return " ".join(out)

    def description(self) -> str:
        r = self.rng
        self.named = False
        out = [self.sentence(self.choose(SETTING)) for _ in range(2 + r.below(3))]
        if r.chance(1, 2):
            out.append(self.sentence(self.choose(ACTIONS)))
        return " ".join(out)

    def speech(self, line: str, speaker: Person, listener: Person, known: bool) -> str:
        """One turn of dialogue: the spoken line wrapped in a tag (or standing alone)."""
        r = self.rng
        if "," not in line and r.chance(1, 6):
            line = line[:-1] + ", " + listener.name + line[-1]
        tag = self.choose(TAGS[line[-1]])
        second = self.sentence(self.choose(STATEMENTS))
        self.named = known and speaker.pronoun != listener.pronoun  # "she said" is unambiguous
        return self.sentence(tag, {"line": line, "line2": second,
                                   "line_": line[:-1] + "," if line.endswith(".") else line})

    def exchange(self):
        """Two to five turns between the scene's two people; a question gets its own kind of answer."""
        r = self.rng
        a, b = self.roles["A"], self.roles["B"]
        if r.chance(1, 2):
            a, b = b, a
        kind, answers, carry = r.weighted(((4, "ask"), (3, "say"), (1, "cry"))), (), {}
        turns, turn = 2 + r.weighted(((3, 0), (3, 1), (2, 2), (1, 3))), 0
        while turn < turns or kind == "answer":  # a question is never left hanging
            speaker, listener = (a, b) if turn % 2 == 0 else (b, a)
            self.roles["A"], self.roles["B"] = speaker, listener
            self.named = False
            turn += 1
            if kind == "reply":
                yield self.sentence(self.choose(REPLIES))
                kind = r.weighted(((3, "ask"), (2, "say")))
                continue
            if kind == "ask":
                question = self.choose(QUESTIONS)
                line = self.sentence(question[0])
                answers, carry = question[1:], self.cache
            elif kind == "answer":
                line = self.sentence(self.choose(answers), carry)
            else:
                pool = {"say": STATEMENTS, "respond": RESPONSES, "cry": EXCLAMATIONS}[kind]
                line = self.sentence(self.choose(pool))
            yield self.speech(line, speaker, listener, known=turn > 2)
            if kind == "ask":
                kind = r.weighted(((6, "answer"), (1, "reply")))
            elif line.endswith("?"):
                kind = r.weighted(((3, "respond"), (1, "reply")))
            else:
                kind = r.weighted(((4, "ask"), (2, "say"), (3, "respond"), (1, "cry"), (1, "reply")))
        self.roles["A"], self.roles["B"] = a, b

    def chapter(self, number: int):
        r = self.rng
        yield f"Chapter {number}"
        for scene in range(2 + r.below(3)):
            self.new_scene(keep_people=scene > 0 and r.chance(1, 2))
            yield self.narration(opening=True)
            for _ in range(3 + r.below(8)):
                kind = r.weighted(((6, "narration"), (3, "exchange"), (1, "description")))
                if kind == "narration":
                    yield self.narration(opening=False)
                elif kind == "description":
                    yield self.description()
                else:
                    yield from self.exchange()


def generate(seed: int = DEFAULT_SEED, characters: int = DEFAULT_CHARACTERS) -> str:
    """Prose ending at the first paragraph end at or after `characters` characters (then "\\n").

    Paragraphs are single lines separated by a blank line; the text ends with one newline.
    The same (seed, characters) gives the same string on every platform and Python version.
    """
    writer = Writer(seed)
    paragraphs, length, number = [], -2, 0
    while length < characters:
        number += 1
        for paragraph in writer.chapter(number):
            paragraphs.append(paragraph)
            length += len(paragraph) + 2
            if length >= characters and not paragraph.startswith("Chapter "):
                break
    return "\n\n".join(paragraphs) + "\n"


def summary(text: str) -> str:
    """`N K sha256` of a text (sha256 of its UTF-8 bytes)."""
    return f"{len(text)} {len(set(text))} {hashlib.sha256(text.encode('utf-8')).hexdigest()}"


if __name__ == "__main__":
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SEED
    print(summary(generate(seed)))
