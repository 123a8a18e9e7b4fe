mod credentials;
mod resilience;
mod send;
