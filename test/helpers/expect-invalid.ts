/** The one assertion of a validation failure: `run` throws a ValidationError with exactly `message`. */
import { ValidationError } from "../../components/validate";

export function expectInvalid(run: () => unknown, message: string): void {
    let thrown: unknown;
    try {
        run();
    } catch (error) {
        thrown = error;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    expect((thrown as Error).message).toBe(message);
}
