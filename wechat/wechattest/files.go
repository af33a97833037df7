package wechattest

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
)

// JPEG returns a small JPEG photo whose pixels depend on seed, so that
// tests can tell two photos apart byte for byte.
func JPEG(seed int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 16, 12))
	for y := range 12 {
		for x := range 16 {
			img.Set(x, y, color.RGBA{R: uint8(seed * 37), G: uint8(x * 16), B: uint8(y * 20), A: 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		panic(err) // encoding to memory does not fail
	}
	return b.Bytes()
}

// AMR returns a short voice message as WeChat stores them: AMR narrowband,
// a header and a few silent frames.
func AMR() []byte {
	b := []byte("#!AMR\n")
	for range 10 {
		// A 12.2 kbit/s frame: its header byte and 31 bytes of silence.
		b = append(b, 0x3c)
		b = append(b, make([]byte, 31)...)
	}
	return b
}
