"""The spec's localization examples, with ``tornado`` renamed to ``squall``.

The translations live beside this file, in ``translations/``, as the spec's
``main()`` expects.
"""

from __future__ import annotations

import os

import squall.locale


def main() -> None:
    # The spec: "You typically call this method once in the main() method of
    # your server".
    squall.locale.load_translations(os.path.join(os.path.dirname(__file__), "translations"))


def test_load_translations_infers_supported_locales() -> None:
    main()
    assert squall.locale.get_supported_locales() == {"es", "fr_CA", "en_US"}


def test_translate_has_two_forms() -> None:
    main()
    locale = squall.locale.get("es")
    _ = locale.translate
    assert _("Translate this string") == "Traduce esta cadena"
    people = ["ana"]
    assert (
        _("A person liked this", "%(num)d people liked this", len(people))
        % {"num": len(people)}
        == "A una persona le gustó esto"
    )
    people = ["ana", "luis", "eva"]
    assert (
        _("A person liked this", "%(num)d people liked this", len(people))
        % {"num": len(people)}
        == "A 3 personas les gustó esto"
    )


def test_the_localized_template_strings() -> None:
    # The spec's sign-in template calls _() on these strings.
    main()
    _ = squall.locale.get("fr_CA").translate
    assert _("Sign in") == "Connexion"
    _ = squall.locale.get("es").translate
    assert [_("Sign in"), _("Username"), _("Password")] == [
        "Iniciar sesión",
        "Nombre de usuario",
        "Contraseña",
    ]


def test_closest_match_and_fallback() -> None:
    main()
    # "if the user's locale is es_GT, and the es locale is supported,
    # self.locale will be es for that request"
    assert squall.locale.get("es_GT").code == "es"
    # "We fall back on en_US if no close match can be found."
    assert squall.locale.get("de_DE").code == "en_US"
    # The locale's code is what templates show as the locale's name (en_US).
    assert squall.locale.get().code == "en_US"


def test_browser_locale_from_accept_language() -> None:
    # What a handler's get_browser_locale does with the header.
    main()
    header = "es-GT,es;q=0.9,en-US;q=0.8,en;q=0.7"
    assert squall.locale.parse_accept_language(header) == ["es_GT", "es", "en_US", "en"]
    assert squall.locale.get(*squall.locale.parse_accept_language(header)).code == "es"
    assert squall.locale.get(*squall.locale.parse_accept_language("")).code == "en_US"
