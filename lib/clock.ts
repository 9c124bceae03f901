// Time is injected so that tests are exact.
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();
export const fixedClock = (d: Date): Clock => () => new Date(d.getTime());
