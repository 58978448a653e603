package tasks_test

import (
	"testing"
	"time"

	"github.com/smsq/smsq/internal/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m, redistest.WithExampleServer()) }

var paris = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return loc
}()
