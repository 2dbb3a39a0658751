package templates

import (
	"testing"

	"github.com/switchboard/switchboard/internal/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }
