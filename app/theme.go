package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Theme is the Case Viewer look: a dark, low-glare slate palette with a
// muted blue accent, so the white document pages are the brightest thing on
// screen during long reading sessions. Sizes are a little larger than
// Fyne's defaults for readability.
type Theme struct{}

var _ fyne.Theme = Theme{}

var (
	slateBackground = color.NRGBA{0x1d, 0x22, 0x2b, 0xff}
	slateInput      = color.NRGBA{0x2a, 0x31, 0x3c, 0xff}
	slateButton     = color.NRGBA{0x33, 0x3b, 0x48, 0xff}
	slateHeader     = color.NRGBA{0x26, 0x2c, 0x36, 0xff}
	textColor       = color.NRGBA{0xe6, 0xe8, 0xeb, 0xff}
	mutedText       = color.NRGBA{0xa9, 0xb1, 0xbd, 0xff}
	accentBlue      = color.NRGBA{0x5b, 0x8d, 0xd6, 0xff}
	warnAmber       = color.NRGBA{0xe0, 0xa8, 0x3a, 0xff}
	errorRed        = color.NRGBA{0xe0, 0x6c, 0x66, 0xff}
	okGreen         = color.NRGBA{0x6c, 0xc0, 0x7e, 0xff}
)

// Color returns the palette's colour for name; the variant is ignored, the
// app is always dark.
func (Theme) Color(name fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	switch name {
	case theme.ColorNameBackground:
		return slateBackground
	case theme.ColorNameInputBackground, theme.ColorNameMenuBackground, theme.ColorNameOverlayBackground:
		return slateInput
	case theme.ColorNameButton:
		return slateButton
	case theme.ColorNameHeaderBackground:
		return slateHeader
	case theme.ColorNameForeground:
		return textColor
	case theme.ColorNamePlaceHolder, theme.ColorNameDisabled:
		return mutedText
	case theme.ColorNamePrimary, theme.ColorNameFocus, theme.ColorNameHyperlink:
		return accentBlue
	case theme.ColorNameWarning:
		return warnAmber
	case theme.ColorNameError:
		return errorRed
	case theme.ColorNameSuccess:
		return okGreen
	}
	return theme.DefaultTheme().Color(name, theme.VariantDark)
}

// Font returns Fyne's bundled fonts.
func (Theme) Font(s fyne.TextStyle) fyne.Resource { return theme.DefaultTheme().Font(s) }

// Icon returns Fyne's bundled icons.
func (Theme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }

// Size enlarges text and padding slightly over Fyne's defaults.
func (Theme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameText:
		return 15
	case theme.SizeNameSubHeadingText:
		return 19
	case theme.SizeNameHeadingText:
		return 24
	}
	return theme.DefaultTheme().Size(n)
}

func fadedAccent() color.Color { return color.NRGBA{0x5b, 0x8d, 0xd6, 0x40} }
