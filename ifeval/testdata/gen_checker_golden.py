"""Writes checker_golden.json: lm-evaluation-harness's own IFEval scorer run
on hand-written responses for every instruction, strict and loose.

The reference code is loaded from source checkouts by refharness.py:

    python3 gen_checker_golden.py LMEVAL NLTK LANGDETECT SHARED_DATA > checker_golden.json
    python3 gen_checker_golden.py LMEVAL NLTK LANGDETECT SHARED_DATA random > checker_random_golden.json

The first form scores the hand-written RESPONSES below; the second 600
responses drawn (random.Random(7)) from fragments chosen to hit the
checkers' edge cases: abbreviations, list markers, quotes, stars, dividers,
markers, non-ASCII letters and spaces, e-mail addresses and URLs.

Letter-frequency cases with a non-letter are left out:
the reference draws a random letter for them.

Output: {"responses": [...], "instructions": [{"id", "kwargs", "strict",
"loose"}]} where strict and loose hold one character per response, "1" for
followed and "0" for not.
"""
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from refharness import setup  # noqa: E402

LOREM = (
    "The quick brown fox jumps over the lazy dog. It was a sunny day, and everyone was happy.\n\n"
    "Second paragraph here. It has two sentences!\n\n"
    "Third paragraph: the end."
)

RESPONSES = [
    "",
    "   \n\t ",
    LOREM,
    "THIS IS ALL IN CAPITAL LETTERS AND WRITTEN IN ENGLISH FOR THE TEST.",
    "this is all in lowercase letters and written in english for the test.",
    "THIS IS CAPS\nexcept the last line",
    "first line is lower\nTHE REST IS IN CAPITAL LETTERS AS REQUESTED BY THE USER",
    "12345 67890",
    "Ceci est une réponse en français, écrite pour vérifier la détection de la langue.",
    "Dies ist eine Antwort auf Deutsch, die die Spracherkennung prüfen soll.",
    "यह एक सरल हिंदी वाक्य है जिसे बिना किसी समस्या के हिंदी के रूप में पहचाना जाना चाहिए।",
    "Это ответ на русском языке, чтобы проверить определение языка.",
    "这是一个简单的中文句子，应该被正确地识别为中文。",
    '"This response is wrapped in double quotes."',
    '  "quoted with spaces"  \n',
    '"',
    "My answer is yes.",
    "Well... My answer is maybe. Or no.",
    "my answer is no.",
    "* point one\n* point two\n* point three",
    "- dash one\n- dash two\n---\n-5 degrees\n**bold line**\n*\n- after star",
    "  * indented\n\t- tabbed\n*no space\n** double",
    "*highlighted section one* and *another* plus **bold one** and ** ** and **",
    "*\n*  *\n*x*",
    "<<A Title>> and <<>> and << >> and <<x\ny>>",
    "<<<nested>>> text",
    "SECTION 1\nIntro\nSECTION 2\nBody\nSECTION 3\nEnd",
    "Section 1: a\nSection2 b\nSection  3 c\nsection 4 d",
    "Day 1: go\nDay 2: rest\nDay 10: home",
    "PARAGRAPH 1 x PARAGRAPH 2 y",
    '{"a": 1, "b": [true, false, null]}',
    "```json\n{\"key\": \"value\"}\n```",
    "```JSON\n[1, 2, 3]\n```",
    "```\nNaN\n```",
    "{\"a\": 1,}",
    "[1, 2] extra",
    "\"just a string\"",
    "-Infinity",
    "1e5",
    "01",
    "{'single': 'quotes'}",
    "Response one about cats.\n******\nResponse two about dogs.",
    "Same.\n******\nSame.",
    "A\n******\n\n******\nB",
    "******\nOnly one\n******",
    "One\n******\nTwo\n******\nThree",
    "First paragraph.\n***\nSecond paragraph.\n***\nThird paragraph.",
    "***\nLeading divider\n***\nTrailing\n***",
    "A *** B ***  *** C",
    "Para one\n\nPara two\n\n\n\nPara three",
    "\n\nsummary is here\n\nSecond para",
    "'Quoted start of para one.\n\n\"Hello,\" second.\n\nThird!",
    "Placeholders: [name], [address], [ another ] and [unclosed\n] and [x]",
    "[a][b][c][d]",
    "Main text.\n\nP.S. I love you.",
    "main text\np.p.s here is more",
    "Text with p. s. spaced and P.S in caps",
    "Note: P.P.S. final",
    "no postscript at all",
    "The keyword banana appears: banana, BANANA, Banana-split, bananas.",
    "I like the sun and the moon and the stars.",
    "Cat cat CAT concatenate cat's",
    "Hello, world, with, commas",
    "No commas here at all",
    "Ending phrase test. Is there anything else I can help with?",
    "Ending phrase test. Is there anything else I can help with?\"",
    "Any other questions?\n\n",
    "Write a poem about the sea. Here is the poem: waves roll.",
    "WRITE A POEM ABOUT THE SEA. And then more.",
    "aaaa bbbb cccc dddd eeee ffff zzzz yyyy",
    "Mr. Smith went to Washington. He arrived at 5 p.m. on Monday. Then he left.",
    "1. First item.\n2. Second item.\n3. Third item.",
    "Short.",
    "One two three four five six seven eight nine ten eleven twelve.",
    "USA UK NASA FBI CIA are acronyms. So are EU and UN. I AM HERE.",
    "Don't STOP. CAN'T WON'T. U.S.A. is BIG.",
    "mixed CASE words HERE and THERE, OK?",
    "Line one\nLine two\nLine three",
    "*Bold* **start**\nmiddle line\n*end*",
    "Visit https://example.com/page?x=1 or mail me at someone@example.org for more.",
    "naïve café résumé façade jalapeño",
    "Ⅻ Ⓐ ǅ ß ẞ İstanbul ΣΑΣ",
    "\u00a0\u2009padded with unicode spaces\u3000",
    "\x1cinformation separator\x1f",
    "tab\tseparated\tvalues\r\nwindows line\r\n",
    "Hello world",
    "The quick brown fox. Le renard brun rapide saute par-dessus le chien paresseux.",
    "Emoji 😀 test 🎉 with 𝕏 math letters",
    "Title: <<Poem of Joy>>\n\nSECTION 1\n*highlight*\n\n- bullet\n\nP.S. bye",
]

I = []  # (id, kwargs)


def add(iid, **kw):
    I.append((iid, kw))


add("keywords:existence", keywords=["banana"])
add("keywords:existence", keywords=["sun", "moon"])
add("keywords:existence", keywords=["cat", "dog"])
add("keywords:existence", keywords=["caf", "PoEm"])
add("keywords:existence", keywords=["a.c"])
add("keywords:frequency", keyword="banana", frequency=3, relation="at least")
add("keywords:frequency", keyword=" cat ", frequency=2, relation="at least")
add("keywords:frequency", keyword="cat", frequency=4, relation="less than")
add("keywords:frequency", keyword="the", frequency=2, relation="less than")
add("keywords:forbidden_words", forbidden_words=["cat", "dog"])
add("keywords:forbidden_words", forbidden_words=["banana", "banana"])
add("keywords:forbidden_words", forbidden_words=["café", "sun"])
add("keywords:forbidden_words", forbidden_words=["one"])
add("keywords:letter_frequency", letter="a", let_frequency=4, let_relation="at least")
add("keywords:letter_frequency", letter="Z", let_frequency=2, let_relation="less than")
add("keywords:letter_frequency", letter="e", let_frequency=10, let_relation="at least")
add("language:response_language", language="en")
add("language:response_language", language="fr")
add("language:response_language", language="hi")
add("language:response_language", language="ru")
add("language:response_language", language="de")
add("length_constraints:number_sentences", num_sentences=3, relation="at least")
add("length_constraints:number_sentences", num_sentences=2, relation="less than")
add("length_constraints:number_sentences", num_sentences=5, relation="less than")
add("length_constraints:number_paragraphs", num_paragraphs=3)
add("length_constraints:number_paragraphs", num_paragraphs=2)
add("length_constraints:number_paragraphs", num_paragraphs=1)
add("length_constraints:number_words", num_words=10, relation="at least")
add("length_constraints:number_words", num_words=8, relation="less than")
add("length_constraints:nth_paragraph_first_word", num_paragraphs=3, nth_paragraph=2, first_word="second")
add("length_constraints:nth_paragraph_first_word", num_paragraphs=3, nth_paragraph=1, first_word="quoted")
add("length_constraints:nth_paragraph_first_word", num_paragraphs=2, nth_paragraph=1, first_word="summary")
add("length_constraints:nth_paragraph_first_word", num_paragraphs=3, nth_paragraph=3, first_word="Third")
add("detectable_content:number_placeholders", num_placeholders=1)
add("detectable_content:number_placeholders", num_placeholders=4)
add("detectable_content:postscript", postscript_marker="P.S.")
add("detectable_content:postscript", postscript_marker="P.P.S")
add("detectable_content:postscript", postscript_marker="Note:")
add("detectable_format:number_bullet_lists", num_bullets=3)
add("detectable_format:number_bullet_lists", num_bullets=5)
add("detectable_format:number_bullet_lists", num_bullets=2)
add("detectable_format:number_bullet_lists", num_bullets=1)
add("detectable_format:constrained_response")
add("detectable_format:number_highlighted_sections", num_highlights=1)
add("detectable_format:number_highlighted_sections", num_highlights=3)
add("detectable_format:number_highlighted_sections", num_highlights=4)
add("detectable_format:multiple_sections", section_spliter="SECTION", num_sections=3)
add("detectable_format:multiple_sections", section_spliter="Section", num_sections=2)
add("detectable_format:multiple_sections", section_spliter=" Day ", num_sections=3)
add("detectable_format:multiple_sections", section_spliter="PARAGRAPH", num_sections=2)
add("detectable_format:json_format")
add("detectable_format:title")
add("combination:two_responses")
add("combination:repeat_prompt", prompt_to_repeat="Write a poem about the sea.")
add("combination:repeat_prompt", prompt_to_repeat="  write a POEM about the sea. ")
add("startend:end_checker", end_phrase="Is there anything else I can help with?")
add("startend:end_checker", end_phrase="Any other questions?")
add("change_case:capital_word_frequency", capital_frequency=3, capital_relation="at least")
add("change_case:capital_word_frequency", capital_frequency=2, capital_relation="less than")
add("change_case:capital_word_frequency", capital_frequency=10, capital_relation="at least")
add("change_case:english_capital")
add("change_case:english_lowercase")
add("punctuation:no_comma")
add("startend:quotation")


FRAGMENTS = [
    "the", "The", "THE", "cat", "Cat", "banana", "sun", "moon", "one", "café", "Café", "poem", "sea", "Write", "a", "about",
    "Mr.", "Dr.", "U.S.", "e.g.", "i.e.", "etc.", "p.m.", "a.m.", "St.", "Inc.", "No.", "vs.", "Jan.", "1.", "2.", "3.", "10.",
    "3.14", "1,000", ".", ",", "!", "?", ";", ":", "'", "\"", "*", "**", "***", "******", "-", "--", "---", "#", "[", "]", "[x]",
    "<<", ">>", "<<T>>", "{", "}", "(", ")", "```", "```json", "P.S.", "p.s.", "P.P.S", "p. p. s", "SECTION", "Section", "Day",
    "PARAGRAPH", "1", "2", "12", "My answer is yes.", "My answer is no.", "{\"a\": 1}", "[1, 2]", "NaN", "null", "true", "'s",
    "n't", "can't", "don't", "cannot", "gonna", "'tis", "wanna", "I", "AM", "OK", "USA", "NASA", "...", ". . .", "…", "—", "–",
    "“", "”", "‘", "’", "«", "»", "é", "ß", "İ", "Σ", "ΣΑΣ", "日本", "中文", "Привет", "hola", "bonjour", "und", "der", "die",
    "\u00a0", "\u2009", "\u3000", "\t", "\r", "\x1c", "\x85", "😀", "𝕏", "_", "x_y", "hello@example.com", "https://x.org/a",
    "a\u0301", "e\u0300",
]
SEPARATORS = [" ", " ", " ", " ", "", "\n", "\n\n", "  ", "\n\n\n", " \n", "\t"]


def random_responses(n, seed):
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rnd.randint(0, 40)):
            parts.append(rnd.choice(FRAGMENTS))
            parts.append(rnd.choice(SEPARATORS))
        s = "".join(parts)
        if rnd.random() < 0.1:
            s = s.upper()
        if rnd.random() < 0.1:
            s = s.lower()
        if rnd.random() < 0.05:
            s = '"' + s + '"'
        out.append(s)
    return out


def main():
    utils = setup()
    responses = RESPONSES
    if len(sys.argv) > 5 and sys.argv[5] == "random":
        responses = random_responses(600, 7)
    out = {"responses": responses, "instructions": []}
    for iid, kw in I:
        inp = utils.InputExample(key=0, instruction_id_list=[iid], prompt="", kwargs=[kw])
        strict = "".join("1" if utils.test_instruction_following_strict(inp, r).follow_instruction_list[0] else "0" for r in responses)
        loose = "".join("1" if utils.test_instruction_following_loose(inp, r).follow_instruction_list[0] else "0" for r in responses)
        out["instructions"].append({"id": iid, "kwargs": kw, "strict": strict, "loose": loose})
    json.dump(out, sys.stdout, ensure_ascii=False, indent=None if len(responses) > 100 else 1)
    sys.stdout.write("\n")


main()
