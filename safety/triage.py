"""The safety triage: does a message show signs of trafficking, exploitation or danger?

Runs in the gateway on every message before the assistant, so it works even when Rasa is down, and
knows nothing but the text. It reads the text lower-cased and without diacritics (ș/ş, ț/ţ, ă, â, î, ñ, à
all folded; chat spellings such as "nn" for "non" expanded), in Romanian, Italian and Spanish at once
(people mix them), and looks for the ILO indicators in the words people use: documents taken, not let
go, locked in, a debt to work off, threats and violence, forced work or sex, isolation, being watched,
asking to be rescued. Each sign is a small set of patterns; some signs also list the words that undo
them in ordinary questions ("a copy of my passport", "I lost my passport", "a debt to my cousin").
When the words read like a general question ("what are the signs of trafficking?") a single sign does
not raise the alarm; two signs, or a plea for rescue, always do.

A person simply saying they are in danger, afraid, threatened, hurt or in need of urgent help, in any
of the three languages or in English, German, French, Russian or Ukrainian, is the sign "stated_danger";
its words are data (safety/lexicon/stated_danger.yml) and it always raises the alarm, unless it is only
fear about an ordinary outcome ("mi-e frica sa nu pierd somajul") naming no harm.

The assistant's own `report_danger` intent is the second net (actions/safety.py). Recall and false
alarms are measured on tests/triage/ (tests/test_triage.py, docs/safety-triage.md).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

_CEDILLA = str.maketrans({"ş": "s", "ţ": "t", "Ş": "s", "Ţ": "t", "ß": "ss"})
_ELONGATED = re.compile(r"([a-hj-z])\1{2,}")
_CHAT = {"nn": "non", "xfavore": "per favore", "xke": "perche", "pt": "pentru", "q": "que", "xq": "porque"}


def fold(text: str) -> str:
    """Lower case, diacritics removed, punctuation as spaces, chat spellings expanded; padded with spaces.
    Cyrillic letters are kept (й reads и, ё reads е, ї reads і)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_CEDILLA).lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = _ELONGATED.sub(r"\1", plain)  # "ajutooor" reads "ajutor" (but "copiii" keeps its three i)
    words = re.sub(r"[^a-z0-9\u0400-\u04ff]+", " ", plain).split()
    return " " + " ".join(_CHAT.get(w, w) for w in words) + " "


def _any(*words: str) -> str:
    return "(?:" + "|".join(words) + ")"


def _near(first: str, second: str, gap: int = 6) -> re.Pattern[str]:
    """`first` and `second` within `gap` words of each other, in either order."""
    between = rf"(?:\s+\S+){{0,{gap}}}\s+"
    return re.compile(rf"\b{first}\b{between}{second}\b|\b{second}\b{between}{first}\b")


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b" + _any(*alternatives) + r"\b")


_DOCS = _any(
    r"pa?s+a?port\w*",
    r"buletin\w*",
    r"act(?:e|ele)",
    r"documente\w*",
    r"carte\w* de identitate",
    r"passaport\w*",
    r"documenti",
    r"cart[ae] d identita",
    r"permesso di soggiorno",
    r"pasapor\w*",
    r"documentos",
    r"papeles",
    r"dni",
    r"carnet\w*",
    r"tarjeta de residencia",
    r"identificaci\w*",
)
_DOC_TAKEN = _any(
    r"luat\w*",
    r"l au luat",
    r"confisca\w*",
    r"retin\w*",
    r"tin\w*",
    r"tine",
    r"pastr\w*",
    r"ascun\w*",
    r"strans\w*",
    r"stau la",
    r"la (?:el|ea|ei|ele|dansul|dansa|patron\w*|sef\w*)",
    r"e la",
    r"sunt la",
    r"are",
    r"ia",
    r"nu (?:mi|ne|ni|ti)? ?(?:le|il|l)? ?(?:mai )?(?:da|dau|dea)",
    r"sechestr\w*",
    r"pres[oi]",
    r"tolt[oi]",
    r"ti?en\w*",
    r"tengono",
    r"trattien\w*",
    r"sequestr\w*",
    r"nascost\w*",
    r"rid\w*",
    r"raccolt\w*",
    r"non ho piu",
    r"non abbiamo piu",
    r"nu mai am",
    r"nu le mai vedem",
    r"quitad\w*",
    r"quitar\w*",
    r"quito",
    r"retien\w*",
    r"retenid\w*",
    r"guard\w*",
    r"devuelv\w*",
    r"devolver",
    r"recog\w*",
    r"escond\w*",
    r"cogid\w*",
    r"cogio",
    r"cassett\w*",
    r"dulap\w*",
    r"cajon\w*",
    r"seif\w*",
    r"cassaforte",
    r"caja fuerte",
    r"se (?:los|lo|las|la) qued\w*",
    r"qued\w* con",
    r"custodi\w*",
    r"segur\w*",
    r"sigur\w*",
    r"sicur\w*",
    r"no (?:me|nos) (?:lo|la|los|las) (?:da|dan|devuelve)",
    r"non (?:me|ce) (?:lo|la|li|le) (?:da|danno|ridà)",
)
_ON_OTHERS = _any(
    r"patron\w*",
    r"sef\w*",
    r"stapan\w*",
    r"capo",
    r"caporal\w*",
    r"padron\w*",
    r"titolare",
    r"datore",
    r"autista",
    r"jefe",
    r"encargad\w*",
    r"omul",
    r"hombre",
    r"uomo",
    r"agenti\w*",
    r"agenzia",
    r"agencia",
    r"senora",
    r"signora",
)

_FOLLOW = r"(?:\s+\S+){0,3}\s+"
_LEAVE = _any(
    r"plec\w*",
    r"pleca\w*",
    r"ies\w*",
    r"iasa",
    r"iesi\w*",
    r"afara",
    r"ma intorc",
    r"merg\w*",
    r"ma duc",
    r"scap\w*",
    r"andare",
    r"uscire",
    r"partire",
    r"tornare",
    r"andar via",
    r"andarmene",
    r"scappare",
    r"salir",
    r"irme",
    r"irnos",
    r"ir",
    r"marchar\w*",
    r"volver",
    r"escapar",
    r"fuera",
    r"lasciare",
    r"parasi\w*",
    r"dejar (?:la|el)",
)

SIGNS: dict[str, tuple[list[re.Pattern[str]], re.Pattern[str] | None]] = {
    "documents_taken": (
        [_near(_DOCS, _DOC_TAKEN, gap=5), _near(_ON_OTHERS, _DOCS, gap=3)],
        _words(
            r"copie\w*",
            r"copia",
            r"fotocopi\w*",
            r"copy",
            r"scan\w*",
            r"pierdut",
            r"perso",
            r"perdid\w*",
            r"perdi",
            r"expirat",
            r"scadut\w*",
            r"caducad\w*",
            r"reinno\w*",
            r"rinnov\w*",
            r"renov\w*",
            r"prelung\w*",
            r"furat\w*",
            r"rubat\w*",
            r"robad\w*",
            r"mi a cerut",
            r"ne a cerut",
            r"mi ha chiesto",
            r"me pidio",
            r"me ha pedido",
            r"quedarme",
            r"me quedo",
            r"cuanto tiempo",
            r"quanto tempo",
            r"cat timp",
            r"pasaport\w* (?:moldov\w*|biometric\w*)",
            r"passaport\w* (?:moldav\w*|biometric\w*)",
            r"pasaporte (?:moldav\w*|biometric\w*)",
            r"cu pasaport\w*",
        ),
    ),
    "not_free_to_leave": (
        [
            re.compile(rf"\bnu (?:ma|ne|te|o|il|ii|le|ni) (?:mai )?las\w*{_FOLLOW}(?:sa )?{_LEAVE}\b"),
            re.compile(rf"\bnu (?:mai )?(?:pot|putem|poate|pot sa|putem sa) (?:sa )?{_LEAVE}\b"),
            re.compile(
                rf"\bnon (?:mi|ci|ti|la|lo|le|li) (?:lascian\w*|lascia|fanno|fa|permett\w*){_FOLLOW}{_LEAVE}\b"
            ),
            re.compile(rf"\b(?:non|nessuno) (?:posso|possiamo|puo|possono) (?:piu )?{_LEAVE}\b"),
            re.compile(rf"\bno (?:me|nos|te|la|lo|les|le) (?:dej\w*|permit\w*){_FOLLOW}{_LEAVE}\b"),
            re.compile(rf"\b(?:no|nadie) (?:puedo|podemos|puede|pueden) {_LEAVE}\b"),
            re.compile(rf"\b(?:sin poder|senza poter|fara sa (?:pot|putem)) {_LEAVE}\b"),
            re.compile(rf"\bnimeni nu (?:poate|pleaca) {_LEAVE}\b"),
            re.compile(rf"\bnu se (?:mai )?poate {_LEAVE}\b"),
            re.compile(r"\b(?:de acolo|de aici|de aca) nu (?:mai )?(?:iesim|ies|plecam|plec|putem)\b"),
            re.compile(r"\bnu (?:ne|ma|o|il|ii|ni) (?:mai )?(?:da|dau|lasa) drumul\b"),
            _words(
                r"inchis\w* (?:in|acolo|aici|cu cheia)",
                r"incuia\w*",
                r"incui\w*",
                r"zavor\w*",
                r"sub cheie",
                r"lacat\w*",
                r"rinchius\w*",
                r"segregat\w*",
                r"sotto chiave",
                r"lucchett\w*",
                r"prigionier\w*",
                r"prizonier\w*",
                r"prisioner\w*",
                r"encerrad\w*",
                r"encierr\w*",
                r"bajo llave",
                r"candado",
                r"retenid[oa] en",
                r"bloccat\w* in",
                r"blocat\w* la",
                r"blocat\w* in",
                r"bloquead\w* en",
                r"sechestrat\w*",
                r"secuestr\w*",
                r"rapit\w*",
                r"tengono chius\w*",
                r"chius\w* a chiave",
                r"(?:stam|stau|suntem|sunt) inchis\w*",
                r"siamo chius\w*",
                r"estamos encerrad\w*",
                r"non si puo (?:andare via|uscire|scappare)",
                r"ci tengono (?:qui|dentro|chius\w*)",
                r"chiud\w* (?:\S+ )?(?:da fuori|a chiave|dentro|in camera|in casa)",
                r"(?:ma|ne|o|il|ii) tin\w* (?:ei|aici|acolo|in casa|inchis\w*|separat\w*|cu forta)",
                r"desde fuera",
                r"da fuori",
                r"pe dinafara",
                r"din afara",
            ),
            _near(
                _any(r"porta", r"cancello", r"usa", r"poarta", r"puerta", r"portone"),
                _any(
                    r"chius\w*",
                    r"chiud\w*",
                    r"cerrad\w*",
                    r"cierr\w*",
                    r"incui\w*",
                    r"inchid\w*",
                    r"lucchett\w*",
                    r"lacat\w*",
                    r"candado",
                    r"llave",
                    r"cheie",
                    r"chiave",
                ),
                gap=6,
            ),
            re.compile(
                r"\b(?:ies\w*|esc[oi]|usciamo|salimos|salgo|mergem) (?:\S+ ){0,4}(?:doar|numai|solo|soltanto) (?:\S+ ){0,4}"
                r"(?:cu el|cu ei|cu ea|con lui|con loro|di loro|con el|con ellos|con ella|accanto)\b"
            ),
            re.compile(
                r"\b(?:doar|numai|solo) (?:\S+ ){0,3}(?:salimos|salgo|iesim|ies|usciamo|esco)\b"
                r"(?: \S+){0,10} (?:nos lleva|ne duce|ci porta|con el|cu el|con lui)\b"
            ),
            re.compile(
                r"\b(?:nu plec|non vado via|no me voy|nu putem pleca|non posso andare) (?:\S+ ){0,2}"
                r"(?:pana nu|finche non|hasta que)\b"
            ),
        ],
        _words(
            r"prima delle",
            r"inainte de ora",
            r"antes de las",
            r"dal lavoro prima",
            r"craciun\w*",
            r"natale",
            r"navidad",
            r"concedi\w*",
            r"ferie",
            r"vacacion\w*",
            r"zile libere",
            r"giorni liberi",
            r"dias libres",
            r"contract\w*",
            r"contratt\w*",
            r"contrato\w*",
            r"preaviz",
            r"preavviso",
            r"preaviso",
            r"avion\w*",
            r"aereo",
            r"zbor\w*",
            r"volo",
            r"vuelo",
            r"bani de bilet",
            r"soldi per il biglietto",
            r"dinero para el billete",
            r"ladri",
            r"hoti",
            r"ladrones",
            r"furti",
            r"robos",
            r"avere le chiavi",
            r"tener (?:las )?llaves",
            r"am cheile",
        ),
    ),
    "debt_bondage": (
        [
            _near(
                _any(
                    r"datori\w*",
                    r"datoram",
                    r"datorez",
                    r"debit\w*",
                    r"deud\w*",
                    r"debo",
                    r"debe",
                    r"devo",
                    r"dobbiamo",
                    r"debemos",
                    r"imprumut\w*",
                    r"prestit\w*",
                    r"prestamo",
                ),
                _any(
                    r"drum\w*",
                    r"transport\w*",
                    r"bilet\w*",
                    r"autocar\w*",
                    r"autobuz\w*",
                    r"microbuz\w*",
                    r"cazare\w*",
                    r"angaj\w*",
                    r"recrut\w*",
                    r"viaggio",
                    r"biglietto",
                    r"pulmino",
                    r"alloggio",
                    r"assunzione",
                    r"viaje",
                    r"billete",
                    r"autobus",
                    r"alojamiento",
                    r"contratacion",
                    r"reclut\w*",
                    r"mediere",
                    r"agenti\w*",
                    r"agenzia",
                    r"agencia",
                    r"intermediar\w*",
                    r"adus\w*",
                    r"portat\w*",
                    r"trajo",
                    r"trajeron",
                    r"cuerpo",
                    r"corp\w*",
                    r"corpo",
                    r"comida",
                    r"cama",
                    r"mancare",
                    r"cibo",
                    r"letto",
                    r"pat",
                ),
                gap=10,
            ),
            _words(
                r"nunca termino de pagar",
                r"tot ce castig\w* (?:\S+ ){0,2}(?:merge|se duce|ia|iau|ii dam)",
                r"tutto (?:quello )?(?:che|quel che) guadagn\w* (?:\S+ ){0,2}(?:va|se lo prend\w*|lo prend\w*|li prend\w*)",
                r"todo lo que gan\w* (?:\S+ ){0,2}(?:va|se lo (?:queda|lleva)|se lo quedan|se lo llevan)",
                r"tutto per il debito",
                r"totul (?:pe|pentru) datori\w*",
                r"todo para la deuda",
                r"se duce pe datori\w*",
                r"nu mai termin de platit",
                r"non finisco mai di pagare",
                r"debito non scende",
                r"datoria nu scade",
                r"deuda no baja",
                r"debito aumenta",
                r"datoria creste",
                r"deuda sube",
                r"nu (?:mai )?scap de datori\w*",
            ),
            re.compile(
                r"\b(?:lucrez|lucram|sa lucrez|lavoro|lavoriamo|lavorare|trabajo|trabajamos|trabajar) (?:\S+ ){0,6}"
                r"(?:gratis|fara bani|fara plata|senza (?:soldi|paga)|sin (?:cobrar|sueldo|paga)|per niente|por nada)\b"
            ),
        ],
        _words(
            r"prim\w*",
            r"cugin\w*",
            r"verisor\w*",
            r"varul\w*",
            r"amic\w*",
            r"prieten\w*",
            r"amig\w*",
            r"banc\w*",
            r"poco a poco",
            r"piano piano",
            r"cate putin",
            r"in rate",
            r"a rate",
            r"parinti\w*",
            r"genitori",
            r"padres",
            r"credit\w*",
            r"mutuo",
            r"hipoteca",
            r"ipoteca",
            r"avion\w*",
            r"aereo",
            r"cum (?:fac|pot)",
            r"come (?:faccio|posso)",
            r"como (?:hago|puedo)",
        ),
    ),
    "threats_violence": (
        [
            _words(
                r"amenint\w*",
                r"m a batut",
                r"ne a batut",
                r"batut\w*",
                r"ne bate",
                r"ma bate",
                r"o bate",
                r"il bate",
                r"bataie",
                r"lovit\w*",
                r"ma loveste",
                r"violent\w*",
                r"agresat\w*",
                r"ne bat",
                r"snopit",
                r"omoar\w*",
                r"omor\w*",
                r"terorizeaza",
                r"intimid\w*",
                r"santaj\w*",
                r"vanatai",
                r"minacc\w*",
                r"picchi\w*",
                r"botte",
                r"percoss\w*",
                r"violenz\w*",
                r"aggredit\w*",
                r"ammazz\w*",
                r"uccid\w*",
                r"ricatt\w*",
                r"schiaff\w*",
                r"colpisc\w*",
                r"colpit\w*",
                r"punisc\w*",
                r"lividi",
                r"amenaz\w*",
                r"peg[oaue]\w*",
                r"golpe\w*",
                r"paliza\w*",
                r"violenci\w*",
                r"agredi\w*",
                r"mata\w*",
                r"matarme",
                r"chantaj\w*",
                r"patad\w*",
                r"morat\w*",
                r"castigo\w*",
                r"castigan",
                r"pistol\w*",
                r"arma\w*",
                r"cutit\w*",
                r"coltell\w*",
                r"cuchill\w*",
                r"fa sparire",
                r"far sparire",
                r"(?:hacer|hace|hago|har[ae]) desaparecer",
                r"se queja desaparece",
                r"fa del male",
                r"fara del male",
                r"faccio del male",
                r"hace\w* dano",
                r"face\w* rau",
                r"familia lo va a pagar",
                r"lo pagara tu familia",
                r"o sa platesti",
                r"(?:stie|sa|sanno|sabe|saben) (?:\S+ ){0,2}(?:unde|dove|donde) (?:sta|stau|locuieste|traieste|abita\w*|vive\w*)",
                r"(?:policia|polizia|politia) (?:\S+ ){0,4}(?:amig\w*|amic\w*|prieten\w*|de partea|dalla sua)",
                r"ci arrestano",
                r"ne aresteaza",
                r"nos arrestan",
                r"nos detienen",
                r"nos deportan",
                r"ci espellono",
                r"(?:no quer\w*|non vuoi|nu vrei) problem\w*",
                r"rup\w* (?:\S+ )?(?:picioarele|oasele|gatul|mainile)",
                r"romp\w* (?:le gambe|le ossa|las piernas|los huesos)",
                r"spacc\w* le gambe",
                r"pun pe cineva",
                r"trimit pe cineva",
                r"chiamano qualcuno",
                r"mandano qualcuno",
                r"mandan? a alguien",
                r"ne arunca in drum",
                r"daca (?:facem scandal|ne plangem|ma plang|zic ceva|cer banii)",
                r"se (?:ci lamentiamo|mi lamento|protestiamo|insisto|chiedo i soldi)",
                r"si (?:me quejo|nos quejamos|protestamos|reclamo)",
                r"el que se queja",
                r"chi si lamenta",
                r"cine se plange",
                r"ne prinde politia",
                r"ne baga la puscarie",
                r"ci mettono in (?:prigione|galera)",
                r"nos meten en la carcel",
            ),
        ],
        _words(
            r"bate\w* gandul",
            r"batut la cap",
            r"s a lovit",
            r"(?:masina|macchina|auto|coche|moto|bicicleta|bici) (?:\w+ ){0,4}(?:lovit\w*|golpe\w*|investit\w*|atropell\w*)",
            r"lovit (?:\w+ ){0,2}(?:masina|bicicleta)",
            r"licenzi\w*",
            r"concedi\w*",
            r"despid\w*",
            r"referenz\w*",
            r"recomandare",
            r"referencia\w*",
            r"dat afara",
            r"mandare via",
            r"echar\w*",
            r"joc\w*",
            r"gioc\w*",
            r"jueg\w*",
            r"film\w*",
            r"pelicul\w*",
            r"serial\w*",
            r"cum (?:fac|pot)",
            r"come (?:faccio|posso)",
            r"como (?:hago|puedo)",
            r"amenda",
            r"multa",
        ),
    ),
    "forced_labour_or_sex": (
        [
            _words(
                r"(?:ma|ne|o|le|te) (?:obliga\w*|forteaza|forta\w*|sileste|silesc|pune sa (?:merg|cersesc|stau))",
                r"obligat\w* sa",
                r"fortat\w*",
                r"silit\w*",
                r"prostitu\w*",
                r"cu forta",
                r"sclav\w*",
                r"vandut\w*",
                r"m au vandut",
                r"ma vinde",
                r"(?:adesso|ora|poi) mi vende",
                r"(?:ahora|luego) me vende\w*",
                r"costrett\w*",
                r"costring\w*",
                r"obbligat\w* a",
                r"mi obbligano",
                r"ci obbligano",
                r"forzat\w*",
                r"schiav\w*",
                r"vendut\w*",
                r"con la forza",
                r"obligad\w*",
                r"me obligan",
                r"nos obligan",
                r"obligan a",
                r"forzad\w*",
                r"esclav\w*",
                r"vendid\w*",
                r"me vendieron",
                r"a la fuerza",
                r"por la fuerza",
                r"violat\w*",
                r"violad\w*",
                r"stupr\w*",
                r"abuz\w* sexual\w*",
                r"abus\w* sessual\w*",
                r"abus\w* sexual\w*",
                r"(?:merg|andare|ir|vado|mergi|stare) (?:\S+ ){0,2}(?:cu|la|con) client\w*",
                r"con mi cuerpo",
                r"cu corpul",
                r"col mio corpo",
                r"ma culc cu",
                r"andare a letto con",
                r"acostarme con",
                r"cers\w*",
                r"elemosin\w*",
                r"mendig\w*",
                r"(?:stare|sto|stau|estar|estoy) (?:\S+ )?(?:in strada|pe strada|en la calle)",
                r"somos suyos",
                r"soy suy[oa]",
                r"gli appartengo",
                r"appartengo a",
                r"siamo suoi",
                r"sono sua",
                r"suntem ai lui",
                r"sunt a lui",
                r"le pertenezco",
                r"ii apartin",
                r"se la llevan",
                r"se lo llevan",
                r"la portano via",
                r"o iau noaptea",
                r"o duc noaptea",
                r"(?:mi|ci|ne|ma|nos|me|o|la) (?:portano|duc|duce|mut\w*|llevan|lleva) (?:\S+ ){0,2}"
                r"(?:in un altro posto|in alt loc|in alta parte|a otro sitio|a otro lugar|altrove)",
                r"dus\w* in alt loc",
            ),
            _near(
                _any(r"1[4-7] (?:ani|anni|anos)", r"minor\w*", r"menor de edad"),
                _any(
                    r"client\w*",
                    r"iasa",
                    r"uscire",
                    r"salir",
                    r"quiere que",
                ),
                gap=14,
            ),
        ],
        _words(
            r"ce (?:este|inseamna)",
            r"cos e",
            r"que es",
            r"cum recunosc",
            r"come (?:si )?riconosc\w*",
            r"como (?:se )?reconoc\w*",
            r"curs\w*",
            r"corso",
            r"scoala",
            r"scuola",
            r"escuela",
            r"studiu",
            r"studio",
            r"estudio",
            r"proiect\w*",
            r"progetto",
            r"proyecto",
        ),
    ),
    "isolated_controlled": (
        [
            _near(
                _any(
                    r"telefon\w*", r"telefoan\w*", r"mobil\w*", r"celular\w*", r"cellular\w*", r"movil\w*", r"sim"
                ),
                _any(
                    r"luat\w*",
                    r"l au luat",
                    r"confisca\w*",
                    r"tin\w*",
                    r"tiene",
                    r"tengono",
                    r"pres[oi]",
                    r"tolt[oi]",
                    r"sequestr\w*",
                    r"quitad\w*",
                    r"quitaron",
                    r"quito",
                    r"retien\w*",
                    r"recog\w*",
                    r"verific\w*",
                    r"controll\w*",
                    r"revisa\w*",
                    r"strang\w*",
                    r"strans\w*",
                    r"solo davanti",
                    r"doar de fata",
                    r"delante de",
                    r"nu (?:ne |mi )?(?:lasa|da)",
                    r"non (?:ci |mi )?(?:lasciano|danno)",
                    r"no (?:nos |me )?(?:dejan?|dan)",
                ),
                gap=5,
            ),
            re.compile(
                r"\b(?:nu|non|no) (?:ma|ne|o|il|mi|ci|la|me|nos|le) (?:lasa|fanno|fa|lascian\w*|dejan?|permiten) "
                r"(?:\S+ ){0,2}(?:sa (?:sun|suna|vorbesc|vorbim|sune|vorbeasca)|telefonare|chiamare|parlare|llamar|hablar)"
            ),
            _words(
                r"n am voie",
                r"nu am voie",
                r"nu avem voie",
                r"non (?:ho|abbiamo) il permesso",
                r"no tengo permiso",
                r"no tenemos permiso",
            ),
            _words(
                r"(?:ne|ma) (?:pazesc|pazeste|pazeasca|supravegh\w*|urmaresc|urmareste)",
                r"paznic\w*",
                r"sub paza",
                r"(?:ci|mi) (?:sorveglian\w*|controllan\w* sempre|seguono)",
                r"sorvegliat\w*",
                r"ci guarda\w*",
                r"(?:nos|me) (?:vigila\w*|controla\w* todo|siguen)",
                r"vigilad\w*",
                r"(?:mereu|tot timpul|sempre|siempre) (?:\S+ ){0,3}(?:cineva|qualcuno|un uomo|uno di loro|alguien)",
                r"di nascosto",
                r"de ascuns",
                r"pe ascuns",
                r"a escondidas",
                r"en secreto",
                r"antes de que vuelva\w*",
                r"mentre dormono",
                r"prima che torn\w*",
                r"inainte sa vina",
                r"cat doarme\w*",
                r"mientras duerme\w*",
                r"nu pot vorbi mult",
                r"non posso parlare (?:molto|tanto)",
                r"no puedo hablar mucho",
                r"am asta ascuns",
                r"(?:nu stiu|nu stim|non so|non sappiamo|no se|no sabemos) (?:\S+ ){0,2}(?:unde (?:sunt|suntem|ma aflu|ne aflam)|"
                r"adresa|l indirizzo|dove (?:sono|siamo|mi trovo)|donde (?:estoy|estamos)|la direccion)",
                r"senza mangiare",
                r"sin comer",
                r"no (?:me|nos) dan de comer",
                r"quitan la comida",
                r"fara mancare",
                r"nu (?:ne|mi) da\w* (?:de )?mancare",
                r"nu primesc mancare",
                r"de mancare o data",
                r"una vez al dia",
                r"una volta al giorno",
                r"am fugit",
                r"am scapat de la",
                r"sono scappat\w*",
                r"siamo scappat\w*",
                r"me escape",
                r"habar n am (?:\S+ ){0,3}(?:unde|in ce|ce oras)",
                r"(?:nu stiu|nu stim) (?:nici )?in ce (?:oras|loc|tara)",
                r"non (?:so|sappiamo) (?:neanche |nemmeno )?in che (?:citta|posto|paese)",
                r"no (?:se|sabemos) (?:ni )?en que (?:ciudad|sitio|pueblo|pais)",
                r"(?:ne|mi|ni) au luat tot",
                r"sa nu (?:intreb|mai intreb|spun nimanui|spunem|vorbesc cu nimeni)",
                r"nu mi (?:o|l) (?:mai )?arata\w*",
                r"di non (?:chiedere|fare domande|parlare con nessuno)",
                r"de no (?:preguntar|hablar con nadie)",
                r"nos escapamos",
                r"hui de",
                r"huimos",
            ),
        ],
        _words(
            r"magazin\w*",
            r"service",
            r"reparat\w*",
            r"riparat\w*",
            r"reparad\w*",
            r"pierdut",
            r"perso",
            r"perdid\w*",
            r"furat\w*",
            r"rubat\w*",
            r"robad\w*",
            r"abonament\w*",
            r"abbonamento",
            r"contrato de movil",
            r"tarif\w*",
            r"in timpul lucrului",
            r"durante il lavoro",
            r"durante el trabajo",
            r"e legal\w*",
            r"es legal",
        ),
    ),
    # Alone, "if I run away / if I leave..." is an ordinary question ("if I leave, do I lose my benefit?");
    # next to another sign it is the threat that keeps people in place.
    "escape_conditional": (
        [
            _words(
                r"daca fug",
                r"daca plec",
                r"daca plecam",
                r"se scappo",
                r"se me ne vado",
                r"se andiamo via",
                r"si me escapo",
                r"si me voy",
                r"si nos vamos",
            )
        ],
        None,
    ),
    "asking_rescue": (
        [
            _words(
                r"salvati ma",
                r"salvati ne",
                r"salveaza ma",
                r"scoateti ma",
                r"scoate ma de aici",
                r"scoateti ne",
                r"sunt in pericol",
                r"suntem in pericol",
                r"e in pericol",
                r"este in pericol",
                r"ajutor va rog",
                r"ajutati ma va rog",
                r"va rog ajutati ma",
                r"sos",
                r"veniti dupa (?:noi|mine)",
                r"veniti sa ma luati",
                r"eliberati (?:ma|ne)",
                r"salvatemi",
                r"salvateci",
                r"salvami",
                r"aiuto vi prego",
                r"aiutatemi vi prego",
                r"vi prego aiutatemi",
                r"sono in pericolo",
                r"siamo in pericolo",
                r"portatemi via",
                r"tiratemi fuori",
                r"venite a (?:prendermi|prenderci|liberar\w*)",
                r"liberate(?:ci|mi)",
                r"liberarci",
                r"socorro",
                r"salvadme",
                r"salvame",
                r"sacadme de aqui",
                r"sacame de aqui",
                r"estoy en peligro",
                r"estamos en peligro",
                r"ayudenme por favor",
                r"ayudadme por favor",
                r"por favor ayudenme",
                r"rescat\w*",
                r"venga\w* a buscar(?:me|nos)",
                r"va implor",
                r"vi (?:prego|supplico) fate qualcosa",
                r"os lo (?:ruego|suplico)",
                r"se lo (?:ruego|suplico)",
                r"faceti ceva",
                r"venid a (?:buscarme|por mi|por nosotros)",
                r"liberadnos",
                r"liberadme",
                r"salvar(?:mi|ci|me|nos)",
                r"sa ma salveze",
                r"(?:frica|paura|miedo) (?:mare |tanta |molta |mucho |grande )?(?:de|di|del|della|dei|de la) "
                r"(?:el|lui|lor|ei|ellos|loro|patron\w*|sef\w*|padron\w*|capo|datore|jefe|encargad\w*)",
                r"(?:mucho|molta|tanta|foarte mare) (?:miedo|paura|frica) (?:de|di) (?:el|lui|ellos|loro)",
            ),
        ],
        None,
    ),
}

# Words of a general question about the subject, not a report of it.
_INFORMATIONAL = _words(
    r"semne\w*",
    r"segnal\w*",
    r"senal\w*",
    r"indicator\w*",
    r"numar\w*",
    r"numero",
    r"ce este",
    r"cos e",
    r"que es",
    r"cum recunosc",
    r"come (?:si )?riconosc\w*",
    r"como (?:se )?reconoc\w*",
    r"informat\w*",
    r"informazion\w*",
    r"informacion\w*",
    r"ani in urma",
    r"anni fa",
    r"hace anos",
    r"acum e bine",
    r"ora sta bene",
    r"ahora esta bien",
    r"in general",
    r"doar intreb",
    r"chiedo (?:solo|per)",
    r"solo pregunto",
    r"pregunto por",
    r"lo chiedo",
    r"lo pregunto",
    r"intreb (?:ca|pentru ca|pentru)",
    r"(?:mandare|mandar|trimit\w*|send) (?:\w+ )?foto",
)


def _lexicon_pattern(entries: list[str]) -> re.Pattern[str]:
    """One pattern for a list of the lexicon's entries, folded like the text they are matched on."""
    folded = []
    for entry in entries:
        plain = unicodedata.normalize("NFKD", str(entry).translate(_CEDILLA).lower())
        folded.append("".join(c for c in plain if not unicodedata.combining(c)))
    return re.compile(r"(?<!\w)(?:" + "|".join(f"(?:{f})" for f in folded) + r")(?!\w)")


def _load_stated(path: Path) -> dict[str, re.Pattern[str]]:
    """The lists of safety/lexicon/stated_danger.yml, each as one pattern over all languages."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {tier: _lexicon_pattern([e for entries in data[tier].values() for e in entries]) for tier in data}


STATED = _load_stated(Path(__file__).resolve().parent / "lexicon" / "stated_danger.yml")
_AFTER_WORDS = 8
_WORRY_WORDS = 6
_PERSON_WORDS = 4  # the `about` word and three more
_CRIES = re.compile(rf" (?:(?:{STATED['cry'].pattern}) )+")


def _words_after(folded: str, end: int, count: int) -> str:
    """The `count` words after position `end`, padded with spaces like the folded text."""
    return " " + " ".join(folded[end:].split()[:count]) + " "


def _ordinary_threat(text: str) -> bool:
    """What is threatened is an ordinary consequence (a fine, dismissal, a reference not given...), or the
    words are a joke or a story that is over."""
    innocent = SIGNS["threats_violence"][1]
    over = STATED["past"].search(text) and STATED["settled"].search(text)
    ordinary = STATED["consequence"].search(text) or STATED["joke"].search(text) or over
    return bool(ordinary or (innocent and innocent.search(text)))


def _fear_is_danger(folded: str, start: int, end: int) -> bool:
    """A fear or plea from `start` to `end` is about danger: nothing ordinary is near it (see the lexicon)."""
    after = folded[end:].split()
    if STATED["harm"].search(_words_after(folded, end, _AFTER_WORDS)):
        return True
    before = " " + " ".join(folded[:start].split()[-_WORRY_WORDS:]) + " "
    if STATED["worry"].search(_words_after(folded, end, _WORRY_WORDS)) or STATED["worry"].search(before):
        return False
    about = STATED["about"].match(" ".join(after))
    if not about:
        return True
    near = " " + " ".join(after[1:_PERSON_WORDS]) + " "
    return not STATED["clause"].fullmatch(about.group()) and bool(STATED["person"].search(near))


def stated_danger(text: str, folded: str) -> bool:
    """The person says they are in danger, afraid, threatened, hurt or in need of urgent help (and not
    only afraid of, threatened with, or in a hurry about something ordinary: see the lexicon's header).
    A story that is over, or a joke, is not."""
    if (STATED["past"].search(folded) and STATED["settled"].search(folded)) or STATED["joke"].search(folded):
        return False
    if STATED["danger"].search(folded):
        return True
    if STATED["indicator"].search(folded) and not STATED["question"].search(folded):
        return True
    if _CRIES.fullmatch(folded) and (text.count("!") >= 2 or len(folded.split()) > 1):
        return True  # only cries for help, repeated or with "!!"
    for threat in STATED["threat"].finditer(folded):
        window = _words_after(folded, threat.end(), _AFTER_WORDS)
        if STATED["harm"].search(window) or not _ordinary_threat(window):
            return True
    return any(_fear_is_danger(folded, fear.start(), fear.end()) for fear in STATED["fear"].finditer(folded))


@dataclass(frozen=True)
class Assessment:
    """The triage's verdict on one message: urgent or not, and which signs it saw."""

    urgent: bool
    signs: tuple[str, ...] = ()


# Signs that raise the alarm only together with another one.
WEAK = frozenset({"escape_conditional"})
# Signs that raise the alarm on their own, whatever the rest of the message says.
STRONG = frozenset({"asking_rescue", "stated_danger"})


def assess(text: str) -> Assessment:
    """Whether `text` shows danger signs (then the hotline goes first and a counsellor is alerted)."""
    folded = fold(text)
    found = [sign for sign, (patterns, _) in SIGNS.items() if any(p.search(folded) for p in patterns)]
    if stated_danger(text, folded):
        found.append("stated_danger")
    if len(found) > 1 or STRONG.intersection(found):
        return Assessment(True, tuple(found))
    signs = tuple(
        s
        for s in found
        if s not in WEAK
        and not ((innocent := SIGNS[s][1]) and innocent.search(folded))
        and not (s == "threats_violence" and _ordinary_threat(folded))
    )
    urgent = bool(signs) and not _INFORMATIONAL.search(folded)
    return Assessment(urgent, tuple(found))
