"""The counsellors' inbox: its routes, role checks, accounts, sessions, audit and presence."""
