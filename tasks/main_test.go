package tasks_test

import (
	"testing"

	"github.com/smsq/smsq/internal/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m, redistest.WithExampleServer()) }
