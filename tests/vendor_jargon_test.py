"""Tests of tools/vendor_jargon.py: the rules that clean the Jargon File to sentences."""
from tools import vendor_jargon

DICT = """00-database-info
     The Jargon File notice.

bit bucket
 /bit buhk'@t/, n.

    [techspeak] 1. The universal data sink. Discarded email goes to the {
    bit bucket}. Call me Ishmael, said the sysadmin to the printer. The
    server saves your password online every day.

        An indented example that is not prose.

zorkmid
 /zork'mid/, n.

    The canonical unit of currency in games, see http://example.org/ for
    more. People pronounce it /zork'mid/ in passing. It is used in many
    other games and is referred to online.
"""


def test_the_prose_is_cleaned_to_sentences_and_the_reserved_texts_dropped():
    text = vendor_jargon.sentences_text(DICT)
    assert text == ("The universal data sink. Discarded email goes to the bit bucket.\n\n"
                    "The server saves your password online every day.\n\n"
                    "It is used in many other games and is referred to online.\n")


def test_crude_words_and_unusual_characters_drop_a_sentence():
    assert not vendor_jargon.keep("This program is utter crap and nobody uses it.")
    assert vendor_jargon.keep("Say hello to the shell and the scrap heap today.")
    assert not vendor_jargon.keep("A sentence with a tilde ~ in it somewhere.")
    assert not vendor_jargon.keep("Short one.")
