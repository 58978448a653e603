package text

import (
	"testing"
	"unicode/utf8"
)

// A 160-character French reminder with the usual look-alikes (’ « » ê ô).
const benchFrench = "Bonjour Mme Dupont, rendez-vous « contrôle » le 12/03 à 14h30 confirmé. " +
	"Pensez à apporter votre carte Vitale. En cas d’empêchement, prévenez-nous au 0123456789."

// The same message already in table characters: the no-substitution path.
const benchFrenchGSM = "Bonjour Mme Dupont, rendez-vous \" controle \" le 12/03 à 14h30 confirmé. " +
	"Pensez à apporter votre carte Vitale. En cas d'empechement, prévenez-nous au 0123456789."

// A 300-character Russian message with an emoji: unicode.
const benchUnicode = "Здравствуйте! Ваша запись к врачу подтверждена на 12 марта в 14:30. " +
	"Пожалуйста, возьмите с собой паспорт и полис. Если вы не сможете прийти, позвоните нам " +
	"заранее по телефону. Спасибо! 🙂 Ждём вас в клинике на улице Ленина, дом 15. Хорошего дня " +
	"и до скорой встречи. С уважением, администрация клиники!"

// benchSink keeps the compiler from optimizing Bytes away.
var benchSink []byte

func benchmarkPrepareBytes(b *testing.B, s string, runes int, want Encoding) {
	if n := utf8.RuneCountInString(s); n != runes {
		b.Fatalf("benchmark text has %d characters, want %d", n, runes)
	}
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		m, err := Prepare(s, Auto)
		if err != nil || m.Encoding != want {
			b.Fatalf("%v %v", m.Encoding, err)
		}
		benchSink = m.Bytes()
	}
}

func BenchmarkPrepareBytes(b *testing.B) {
	b.Run("french160", func(b *testing.B) { benchmarkPrepareBytes(b, benchFrench, 160, GSM) })
	b.Run("french160-nosubst", func(b *testing.B) { benchmarkPrepareBytes(b, benchFrenchGSM, 160, GSM) })
	b.Run("unicode300", func(b *testing.B) { benchmarkPrepareBytes(b, benchUnicode, 300, Unicode) })
}
