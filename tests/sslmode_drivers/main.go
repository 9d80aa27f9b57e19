// Connects with Go's lib/pq to the URL given and prints whether the session is encrypted
// (pg_stat_ssl.ssl), or the error lib/pq gives: tests/test_sslmode_drivers.py.
package main

import (
	"database/sql"
	"fmt"
	"os"

	_ "github.com/lib/pq"
)

func main() {
	db, err := sql.Open("postgres", os.Args[1])
	if err == nil {
		var ssl bool
		err = db.QueryRow("select ssl from pg_stat_ssl where pid = pg_backend_pid()").Scan(&ssl)
		if err == nil {
			fmt.Println(ssl)
			return
		}
	}
	fmt.Println("error:", err)
}
