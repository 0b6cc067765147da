ALTER TABLE users ADD COLUMN email TEXT;

INSERT INTO users (name, email) VALUES ('ada', 'ada@example.com'), ('grace', 'grace@example.com');

