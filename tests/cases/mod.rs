mod resilience;
mod send;
